import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { editYamlText } from '../../../src/lib/yaml-edit/index.ts';
import type { ScalarEdit } from '../../../src/lib/yaml-edit/index.ts';

function failure(source: string, edits: ScalarEdit[], createMissing = false): UserError {
  try {
    editYamlText(source, edits, { file: 'values.yaml', createMissing });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const userError = error as UserError;
    // One sentence: no line breaks, ends with a period.
    expect(userError.message).not.toContain('\n');
    expect(userError.message).toMatch(/\.$/);
    return userError;
  }
  throw new Error('expected a UserError');
}

const values = `model:
  name: churn
  version: 12
  extra: {a: 1}
servers:
  - name: api
    port: 80
  - name: api
    port: 81
  - name: worker
    port: 82
`;

describe('editYamlText errors', () => {
  it('names the deepest existing key, its children and a close match for a missing key', () => {
    const error = failure(values, [{ selector: 'model.versoin', value: '13' }]);
    expect(error.message).toContain('`model` has no key `versoin` (did you mean "version"?)');
    expect(error.message).toContain('its keys are name, version, extra');
    expect(error.location).toEqual({ file: 'values.yaml', line: 2, column: 3 });
  });

  it('suggests a close top-level key', () => {
    const error = failure(values, [{ selector: 'mdel.version', value: '13' }]);
    expect(error.message).toContain('the document root has no key `mdel` (did you mean "model"?)');
  });

  it('refuses an ambiguous list match and shows how to pick one', () => {
    const error = failure(values, [{ selector: 'servers[name=api].port', value: '90' }]);
    expect(error.message).toContain('is ambiguous');
    expect(error.message).toContain('items 0, 1 of `servers` all have name=api');
    expect(error.message).toContain('`servers[0]`');
  });

  it('lists the values when no list item matches', () => {
    const error = failure(values, [{ selector: 'servers[name=workr].port', value: '90' }]);
    expect(error.message).toContain('no item of `servers` has name=workr (did you mean "worker"?)');
    expect(error.location?.line).toBe(6);
  });

  it('reports an index out of range', () => {
    const error = failure(values, [{ selector: 'servers[3].port', value: '90' }]);
    expect(error.message).toContain('index 3 is out of range, `servers` has 3 items (0 to 2)');
  });

  it('refuses a selector that targets a map or a list', () => {
    expect(failure(values, [{ selector: 'model', value: 'x' }]).message).toContain(
      '`model` in values.yaml is a map, not a scalar value; select one of its keys: name, version, extra.',
    );
    expect(failure(values, [{ selector: 'servers', value: 'x' }]).message).toContain('is a list of 3 items, not a scalar value');
  });

  it('explains a key used on a list and an index used on a map or scalar', () => {
    expect(failure(values, [{ selector: 'servers.port', value: '1' }]).message).toContain(
      '`servers` is a list, which has no key `port` (select an item first, e.g. `servers[0].port` or [field=value])',
    );
    expect(failure(values, [{ selector: 'model[0]', value: '1' }]).message).toContain('`model` is a map, not a list');
    expect(failure(values, [{ selector: 'model.version.major', value: '1' }]).message).toContain(
      '`model.version` is the scalar 12, which has no key `major`',
    );
  });

  it('reports a YAML syntax error with file:line:column', () => {
    const error = failure('a: 1\nb: [1, 2\nc: 3\n', [{ selector: 'a', value: '2' }]);
    expect(error.message).toMatch(/^values\.yaml:\d+:\d+: the file is not valid YAML \(.+\); fix it before updating it\.$/);
    expect(error.location?.file).toBe('values.yaml');
    expect(error.location?.line).toBeGreaterThan(1);
    expect(error.location?.column).toBeGreaterThan(0);
  });

  it('reports duplicate keys as a syntax error', () => {
    const error = failure('a: 1\na: 2\n', [{ selector: 'a', value: '3' }]);
    expect(error.message).toContain('values.yaml:2:1');
  });

  it('reports malformed selectors with the column', () => {
    expect(failure(values, [{ selector: 'metadata."unclosed', value: '1' }]).message).toContain('unclosed double quote at column 10');
    expect(failure(values, [{ selector: 'servers[0.port', value: '1' }]).message).toContain('unclosed "[" at column 8');
    expect(failure(values, [{ selector: 'model..version', value: '1' }]).message).toContain('empty key at column 7');
    expect(failure(values, [{ selector: '(Deployment).a', value: '1' }]).message).toContain('must be (Kind/name)');
  });

  it('refuses to edit an alias', () => {
    const source = 'base: &tag v1\nother: *tag\n';
    const error = failure(source, [{ selector: 'other', value: 'v2' }]);
    expect(error.message).toContain('it is the alias *tag, so the edit would change every use of the anchor &tag');
    expect(error.location?.line).toBe(2);
  });

  it('refuses a path that goes through an alias', () => {
    const source = 'defaults: &d\n  tag: v1\nprod: *d\n';
    const error = failure(source, [{ selector: 'prod.tag', value: 'v2' }]);
    expect(error.message).toContain('`prod` is the alias *d');
  });

  it('refuses an anchored scalar that is aliased elsewhere', () => {
    const source = 'version: &v 12\nlabels:\n  version: *v\n';
    const error = failure(source, [{ selector: 'version', value: '13' }]);
    expect(error.message).toContain('anchored as &v and used through *v elsewhere');
  });

  it('mentions merge keys when the key may come from `<<`', () => {
    const source = 'defaults: &d\n  tag: v1\nprod:\n  <<: *d\n  name: p\n';
    expect(failure(source, [{ selector: 'prod.tag', value: 'v2' }]).message).toContain('merged keys from `<<`');
  });

  it('names the documents when a path exists in several documents', () => {
    const source = 'kind: Deployment\nmetadata:\n  name: a\n---\nkind: Deployment\nmetadata:\n  name: b\n';
    const error = failure(source, [{ selector: 'metadata.name', value: 'c' }]);
    expect(error.message).toContain('exists in Deployment/a (document 1, line 1) and Deployment/b (document 2, line 5)');
    expect(error.message).toContain('(Deployment/a).metadata.name');
  });

  it('suggests a document when (Kind/name) matches none', () => {
    const source = 'kind: Deployment\nmetadata:\n  name: churn-serving\n---\nkind: Service\nmetadata:\n  name: churn-serving\n';
    const error = failure(source, [{ selector: '(Deployment/churn-servin).spec', value: '1' }]);
    expect(error.message).toContain('no document with kind Deployment and metadata.name churn-servin (did you mean "Deployment/churn-serving"?)');
  });

  it('create-missing refuses list items and flow maps', () => {
    expect(failure(values, [{ selector: 'servers[5].port', value: '1' }], true).message).toContain('index 5 is out of range');
    expect(failure(values, [{ selector: 'model.extra.b', value: '1' }], true).message).toContain(
      'create-missing cannot add keys to a flow map',
    );
    expect(failure(values, [{ selector: 'model.labels[0]', value: '1' }], true).message).toContain(
      'create-missing adds map keys only, never list items',
    );
  });

  it('refuses conflicting values for one scalar', () => {
    const error = failure(values, [
      { selector: 'model.version', value: '13' },
      { selector: 'model.version', value: '14' },
    ]);
    expect(error.message).toContain('Two updates set the same value in values.yaml differently');
  });

  it('refuses a folded block scalar given several lines', () => {
    const error = failure('text: >\n  folded\n', [{ selector: 'text', value: 'a\nb' }]);
    expect(error.message).toContain('is a block scalar (>) that cannot hold the new value');
  });

  it('refuses a scalar with an explicit non-string tag', () => {
    const error = failure('n: !!int 12\n', [{ selector: 'n', value: 'x' }]);
    expect(error.message).toContain('has the explicit tag !!int');
  });

  it('is atomic: one invalid edit fails the whole file', () => {
    expect(() =>
      editYamlText(values, [
        { selector: 'model.version', value: '13' },
        { selector: 'model.nope', value: '1' },
      ], { file: 'values.yaml' }),
    ).toThrow(UserError);
  });
});
