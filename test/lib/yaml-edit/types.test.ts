import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../../../src/lib/errors.ts';
import { editYamlText } from '../../../src/lib/yaml-edit/index.ts';
import type { ScalarEdit } from '../../../src/lib/yaml-edit/index.ts';
import { inferredScalar, parseEditValue, typedScalar, ValueSyntaxError } from '../../../src/lib/yaml-edit/value.ts';
import { expectOnlySplicedBytesChanged } from './splices.ts';

function edit(source: string, edits: ScalarEdit[], createMissing = false) {
  const result = editYamlText(source, edits, { file: 'values.yaml', createMissing });
  expectOnlySplicedBytesChanged(source, result);
  return result;
}

function failure(source: string, edits: ScalarEdit[], createMissing = false): UserError {
  try {
    editYamlText(source, edits, { file: 'values.yaml', createMissing });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/\.$/);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

/** Every reader's view of a text: YAML 1.2 (Kustomize, the `yaml` package) and YAML 1.1 (Helm, PyYAML). */
function readBoth(text: string): [unknown, unknown] {
  return [parse(text, { version: '1.2' }) as unknown, parse(text, { version: '1.1' }) as unknown];
}

describe('created keys take the type of their value', () => {
  it('types 3, true, 1.5 and keeps v1.2 a string, for YAML 1.1 and 1.2 readers alike', () => {
    const result = edit('spec: {}\nvalues:\n  a: 1\n', [
      { selector: 'values.replicas', value: '3' },
      { selector: 'values.enabled', value: 'true' },
      { selector: 'values.ratio', value: '1.5' },
      { selector: 'values.tag', value: 'v1.2' },
    ], true);
    for (const read of readBoth(result.text)) {
      expect(read).toEqual({ spec: {}, values: { a: 1, replicas: 3, enabled: true, ratio: 1.5, tag: 'v1.2' } });
    }
  });

  it('creates lookalikes that some reader would take for another type as strings every reader agrees on', () => {
    const lookalikes = ['yes', 'No', 'on', 'True', 'FALSE', '0x1F', '0o17', '017', '1e3', '1_000', '1.10', '2.0', '+3', '-0', '~', 'null', '.inf', '2024-01-01', '190:20:30', '12345678901234567890', '='];
    const result = edit('k:\n  x: 1\n', lookalikes.map((value, i) => ({ selector: `k.v${i}`, value })), true);
    const expected = Object.fromEntries([['x', 1], ...lookalikes.map((value, i) => [`v${i}`, value])]);
    for (const read of readBoth(result.text)) expect(read).toEqual({ k: expected });
  });

  it('writes tagged values so that both readers load that type', () => {
    const cases: Array<[string, unknown]> = [
      ['!!int 3', 3], ['!!int 0x1F', 31], ['!!int 1_000', 1000], ['!!int 0o17', 15], ['!!int +7', 7],
      ['!!float 2', 2], ['!!float 1e3', 1000], ['!!float 1.50', 1.5], ['!!float -.inf', -Infinity],
      ['!!bool yes', true], ['!!bool off', false], ['!!bool True', true],
      ['!!null', null], ['!!null ~', null],
      ['!!str 12', '12'], ['!!str yes', 'yes'], ['!!str !important', '!important'], ['!!str', ''],
      ['!<tag:yaml.org,2002:int> 5', 5],
    ];
    const result = edit('k:\n  x: 1\n', cases.map(([value], i) => ({ selector: `k.v${i}`, value })), true);
    const expected = Object.fromEntries([['x', 1], ...cases.map(([, loaded], i) => [`v${i}`, loaded])]);
    for (const read of readBoth(result.text)) expect(read).toEqual({ k: expected });
    // Floats are written with a dot and integers without, so Go readers (Helm) and schemas see the type asked for.
    expect(result.text).toContain('v5: 2.0\n');
    expect(result.text).toContain('v6: 1000.0\n');
    expect(result.text).toContain('v9: true\n');
  });

  it('treats two updates that create the same scalar text as one and refuses different ones', () => {
    expect(edit('k:\n  x: 1\n', [{ selector: 'k.count', value: '3' }, { selector: 'k.count', value: '!!int 3' }], true).text).toBe('k:\n  x: 1\n  count: 3\n');
    expect(failure('k:\n  x: 1\n', [{ selector: 'k.count', value: '3' }, { selector: 'k.count', value: '!!str 3' }], true).message).toContain('conflicting ways');
  });

  it('fills a null placeholder the way it creates a key', () => {
    const result = edit('replicas:\nimage:\n  tag: ~ # set by CI\n', [
      { selector: 'replicas', value: '3' },
      { selector: 'image.tag', value: '1.10' },
    ]);
    expect(result.text).toBe('replicas: 3\nimage:\n  tag: "1.10" # set by CI\n');
  });
});

describe('existing numbers and booleans', () => {
  it('refuses an untagged value that would turn a number into a string, naming the key, the type and the fix', () => {
    const error = failure('spec:\n  replicas: 3\n', [{ selector: 'spec.replicas', value: 'abc' }]);
    expect(error.message).toBe(
      '`spec.replicas` in values.yaml is a number (3), and abc would silently turn it into a string; write !!str abc to store a string.',
    );
    expect(error.location).toEqual({ file: 'values.yaml', line: 2, column: 13 });
  });

  it('refuses a boolean given a number, and a YAML 1.1 boolean given text', () => {
    expect(failure('enabled: true\n', [{ selector: 'enabled', value: '3' }]).message).toBe(
      '`enabled` in values.yaml is a boolean (true), and 3 is a number, not a boolean; write !!str 3 to store a string.',
    );
    expect(failure('legacy: yes\n', [{ selector: 'legacy', value: 'maybe' }]).message).toBe(
      '`legacy` in values.yaml is a boolean (yes) to YAML 1.1 readers such as Helm, and maybe would silently turn it into a string; write !!str maybe to store a string.',
    );
  });

  it('offers the tag that keeps the type when the value only lacks an agreed spelling', () => {
    expect(failure('ratio: 0.5\n', [{ selector: 'ratio', value: '1_000.5' }]).message).toContain(
      'is read as text by YAML 1.2 readers but as a number by YAML 1.1 readers such as Helm; write !!str 1_000.5 to store a string, or !!float 1_000.5 to keep a number.',
    );
    expect(failure('enabled: true\n', [{ selector: 'enabled', value: 'on' }]).message).toContain('or !!bool on to keep a boolean.');
    expect(failure('count: 12\n', [{ selector: 'count', value: '017' }]).message).toContain(
      '017 is read as different numbers by YAML 1.2 and YAML 1.1 readers; write !!str 017 to store a string.',
    );
  });

  it('accepts the tagged value, and records the type change', () => {
    const result = edit('replicas: 3\nenabled: true\n', [
      { selector: 'replicas', value: '!!str abc' },
      { selector: 'enabled', value: '!!str maybe' },
    ]);
    expect(result.text).toBe('replicas: abc\nenabled: maybe\n');
    expect(result.applied.map((a) => [a.value, a.typeChange])).toEqual([
      ['!!str abc', { from: 'number', to: 'string' }],
      ['!!str maybe', { from: 'boolean', to: 'string' }],
    ]);
  });

  it('still keeps the type of a matching value', () => {
    expect(edit('replicas: 3\nenabled: yes\n', [
      { selector: 'replicas', value: '5' },
      { selector: 'enabled', value: 'no' },
    ]).text).toBe('replicas: 5\nenabled: no\n');
  });

  it('tells an int from a float, which JavaScript loads alike', () => {
    const once = edit('replicas: 3\nratio: 1.0\n', [
      { selector: 'replicas', value: '!!float 3' },
      { selector: 'ratio', value: '!!int 1' },
    ]);
    expect(once.text).toBe('replicas: 3.0\nratio: 1\n');
    expect(once.applied.map((a) => a.changed)).toEqual([true, true]);
    const again = edit(once.text, [
      { selector: 'replicas', value: '!!float 3' },
      { selector: 'ratio', value: '!!int 1' },
    ]);
    expect(again.changed).toBe(false);
  });

  it('writes a tagged number over a quoted string, and reads values as a %YAML 1.1 document does', () => {
    expect(edit('port: "8080"\n', [{ selector: 'port', value: '!!int 9090' }]).text).toBe('port: 9090\n');
    const source = '%YAML 1.1\n---\nenabled: "x"\n';
    const result = edit(source, [{ selector: 'enabled', value: '!!bool on' }]);
    expect(result.text).toBe('%YAML 1.1\n---\nenabled: true\n');
    expect(parse(result.text)).toEqual({ enabled: true });
  });
});

describe('tags the editor cannot write', () => {
  it.each([
    ['!!python/object:os.system', 'the tag !!python/object:os.system is not one of !!str, !!int, !!float, !!bool or !!null; to store text that starts with "!", write !!str before it (!!str !!python/object:os.system)'],
    ['!Ref web', 'the tag !Ref is not one of'],
    ['!!map {a: 1}', 'the tag !!map is for maps, but an update sets one scalar value'],
    ['!!seq [1]', 'the tag !!seq is for lists'],
    ['!!timestamp 2024-01-01', 'the tag !!timestamp is not one of'],
    ['!!int abc', '!!int needs an integer, and abc is not one'],
    ['!!int 1.5', '!!int needs an integer, and 1.5 is not one'],
    ['!!int 017', 'YAML 1.2 readers take 017 for 17 and YAML 1.1 readers (Helm) for 15; write the number you mean in decimal'],
    ['!!float abc', '!!float needs a number, and abc is not one'],
    ['!!bool maybe', '!!bool needs true or false, and maybe is neither'],
    ['!!null x', '!!null takes no value, and x is one; write !!null alone'],
  ])('refuses %s with a reason', (value, reason) => {
    const error = failure('k: v\n', [{ selector: 'k', value }]);
    expect(error.message).toContain(`for \`k\` in values.yaml cannot be written: ${reason}`);
  });

  it('refuses a typed value for a block scalar or a !!str-tagged scalar', () => {
    expect(failure('script: |\n  echo\n', [{ selector: 'script', value: '!!int 3' }]).message).toBe(
      '`script` in values.yaml is a block scalar (|), which holds text only, so it cannot take !!int 3; edit it by hand.',
    );
    expect(failure('v: !!str 12\n', [{ selector: 'v', value: '!!int 13' }]).message).toContain('has the explicit tag !!str, so it cannot take !!int 13');
    expect(edit('script: |\n  echo\n', [{ selector: 'script', value: '!!str echo 2' }]).text).toBe('script: |\n  echo 2\n');
  });
});

describe('scalars tagged !!str in the file', () => {
  it('stay strings without reporting a type change', () => {
    const result = edit('v: !!str 12\n', [{ selector: 'v', value: '13' }]);
    expect(result.text).toBe('v: !!str "13"\n');
    expect(result.applied[0]?.typeChange).toBeUndefined();
  });
});

describe('value parsing', () => {
  it('reads the tag and keeps the text after !!str exactly', () => {
    expect(parseEditValue('13')).toEqual({ tag: undefined, text: '13' });
    expect(parseEditValue('!!int  3 ')).toEqual({ tag: 'int', text: '3' });
    expect(parseEditValue('!!str  padded ')).toEqual({ tag: 'str', text: ' padded ' });
    expect(parseEditValue('!!str')).toEqual({ tag: 'str', text: '' });
    expect(() => parseEditValue('!!int\n3')).toThrow(ValueSyntaxError);
  });

  it('types only the spellings no reader takes for anything else', () => {
    expect(['3', '-4', '0', '1.5', '0.75', 'true', 'false'].map((text) => inferredScalar(text)?.value)).toEqual([3, -4, 0, 1.5, 0.75, true, false]);
    for (const text of ['1.10', '2.0', '007', '1e3', '1e+21', '0x1F', '+3', '-0', '1_000', 'True', 'yes', '~', 'null', '', '9007199254740993']) {
      expect(inferredScalar(text), text).toBeUndefined();
    }
  });

  it('writes floats with a dot and a signed exponent, which PyYAML needs', () => {
    expect(typedScalar('float', '1e21').text).toBe('1.0e+21');
    expect(typedScalar('float', '1e-7').text).toBe('1.0e-7');
    expect(typedScalar('float', '.NaN').text).toBe('.NaN');
    expect(typedScalar('float', '-1').text).toBe('-1.0');
  });
});
