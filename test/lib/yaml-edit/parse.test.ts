import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { parseUpdateLine } from '../../../src/lib/manifest/update-line.ts';
import { parseSelector } from '../../../src/lib/yaml-edit/index.ts';

function lineError(line: string, lineNumber = 4): UserError {
  try {
    parseUpdateLine(line, lineNumber);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe('updates');
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parseUpdateLine', () => {
  it('parses the examples of the issue', () => {
    expect(parseUpdateLine('envs/production/values.yaml:model.version=13', 1)).toEqual({
      file: 'envs/production/values.yaml', selector: 'model.version', value: '13', line: 1,
    });
    expect(parseUpdateLine('k.yaml:configMapGenerator[name=model-config].literals[1]=MODEL_VERSION=13', 2)).toMatchObject({
      selector: 'configMapGenerator[name=model-config].literals[1]', value: 'MODEL_VERSION=13',
    });
    expect(parseUpdateLine('apps/churn.yaml:metadata.annotations."ml.acme.io/model-version"=13', 3)).toMatchObject({
      selector: 'metadata.annotations."ml.acme.io/model-version"', value: '13',
    });
    expect(parseUpdateLine('a.yaml:spec.source.helm.parameters[name=model.version].value=13', 4)).toMatchObject({
      selector: 'spec.source.helm.parameters[name=model.version].value', value: '13',
    });
    expect(parseUpdateLine('k8s/serving.yaml:(Deployment/churn-serving).spec.template.spec.containers[name=server].env[name=MODEL_VERSION].value=13', 5)).toMatchObject({
      file: 'k8s/serving.yaml', value: '13',
    });
  });

  it('skips "=" inside double-quoted keys and quoted match values', () => {
    expect(parseUpdateLine('f.yaml:a."x=y".b[k="v=w"]=1', 1)).toMatchObject({ selector: 'a."x=y".b[k="v=w"]', value: '1' });
  });

  it('trims unquoted values and keeps spaces in double-quoted ones, decoding escapes', () => {
    expect(parseUpdateLine('  f.yaml : a.b =  v 1  ', 1)).toMatchObject({ file: 'f.yaml', selector: 'a.b', value: 'v 1' });
    expect(parseUpdateLine('f.yaml:a="  padded  "', 1).value).toBe('  padded  ');
    expect(parseUpdateLine('f.yaml:a="say \\"hi\\" \\\\ \\n"', 1).value).toBe('say "hi" \\ \n');
    expect(parseUpdateLine('f.yaml:a=""', 1).value).toBe('');
    // An empty value is what a mistyped ${{ }} expression renders to: refused unless written "".
    expect(() => parseUpdateLine('envs/prod/values.yaml:model.version=', 1)).toThrow(/has an empty value.*write "" to set an empty string/);
    expect(() => parseUpdateLine('f.yaml:a=   ', 1)).toThrow(/has an empty value/);
    expect(parseUpdateLine('f.yaml:a=13", evil: "x', 1).value).toBe('13", evil: "x');
  });

  it('rejects malformed lines with the line number', () => {
    expect(lineError('values.yaml:model.version').message).toBe(
      'updates line 4 ("values.yaml:model.version") has no "=" between the selector and the value: write <file>:<selector>=<value>, e.g. values.yaml:image.tag=v1.2.0.',
    );
    expect(lineError(':model.version=1').message).toContain('has no file before ":"');
    expect(lineError('values.yaml:=1').message).toContain('has no selector between ":" and "="');
    expect(lineError('model.version=1').message).toContain('has no ":" after the file name');
    expect(lineError('f.yaml:a="bad \\q"').message).toContain('is not a valid double-quoted string');
  });

  it('rejects malformed selectors with the column', () => {
    expect(lineError('f.yaml:images[name=x.newTag=1', 7).message).toBe(
      'updates line 7: the selector "images[name=x.newTag=1" is malformed: unclosed "[" at column 7.',
    );
    expect(lineError('f.yaml:a."b=1').message).toContain('unclosed double quote at column 3');
  });
});

describe('parseSelector', () => {
  it('parses keys, quoted keys, indexes, matches and a document filter', () => {
    const selector = parseSelector('(Deployment/web).spec.containers[name="a b"].env[0]."x.y"');
    expect(selector.document).toEqual({ kind: 'Deployment', name: 'web' });
    expect(selector.segments.map(({ start: _s, end: _e, ...rest }) => rest)).toEqual([
      { kind: 'key', key: 'spec' },
      { kind: 'key', key: 'containers' },
      { kind: 'match', field: 'name', value: 'a b' },
      { kind: 'key', key: 'env' },
      { kind: 'index', index: 0 },
      { kind: 'key', key: 'x.y' },
    ]);
  });

  it('accepts a root list index and quoted fields', () => {
    expect(parseSelector('[2].name').segments[0]).toMatchObject({ kind: 'index', index: 2 });
    expect(parseSelector('items["my field"=v]').segments[1]).toMatchObject({ kind: 'match', field: 'my field', value: 'v' });
  });

  it.each([
    ['a.', 'selector ends with "."'],
    ['.a', 'empty key'],
    ['a[]', 'empty brackets'],
    ['a[x]', 'expected a list index [N] or an item match [field=value]'],
    ['a]b', "unexpected ']'"],
    ['a"b"', "unexpected '\"'"],
    ['"a"b', 'expected "." or "["'],
    ['(Kind/name)', 'empty selector path'],
    ['(Kind/name', 'unclosed "("'],
  ])('rejects %s', (text, reason) => {
    expect(() => parseSelector(text)).toThrow(reason);
  });
});
