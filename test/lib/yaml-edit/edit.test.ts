import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../../../src/lib/errors.ts';
import { editYamlText } from '../../../src/lib/yaml-edit/index.ts';
import type { ScalarEdit } from '../../../src/lib/yaml-edit/index.ts';
import { expectOnlySplicedBytesChanged } from './splices.ts';

function edit(source: string, edits: ScalarEdit[], createMissing = false) {
  const result = editYamlText(source, edits, { file: 'values.yaml', createMissing });
  expectOnlySplicedBytesChanged(source, result);
  return result;
}

describe('editYamlText', () => {
  it('reports previous values, lines and changes', () => {
    const result = edit('a: 1\nmodel:\n  version: 12\n  name: "churn"\n', [
      { selector: 'model.version', value: '13' },
      { selector: 'model.name', value: 'churn' },
    ]);
    expect(result.changed).toBe(true);
    expect(result.applied).toEqual([
      { selector: 'model.version', previous: '12', value: '13', changed: true, line: 3 },
      { selector: 'model.name', previous: 'churn', value: 'churn', changed: false, line: 4 },
    ]);
    expect(result.splices).toEqual([{ start: 23, end: 25, text: '13' }]);
  });

  it('returns the text unchanged for no edits and for values already in place', () => {
    const source = 'tag: "v1" # pinned\n';
    expect(edit(source, [])).toEqual({ text: source, applied: [], changed: false, splices: [] });
    const same = edit(source, [{ selector: 'tag', value: 'v1' }]);
    expect(same.changed).toBe(false);
    expect(same.text).toBe(source);
  });

  it('turns a number given a !!str value into a string and says so', () => {
    const result = edit('replicas: 3\ntag: 12\n', [
      { selector: 'replicas', value: '!!str abc' },
      { selector: 'tag', value: '!!str 017' },
    ]);
    expect(result.text).toBe('replicas: abc\ntag: "017"\n');
    expect(result.applied.map((a) => a.typeChange)).toEqual([
      { from: 'number', to: 'string' },
      { from: 'number', to: 'string' },
    ]);
    expect(parse(result.text)).toEqual({ replicas: 'abc', tag: '017' });
  });

  it('keeps numbers and bools as such when the new value is one', () => {
    const result = edit('replicas: 3\nratio: 0.5\non: true\nlegacy: yes\n', [
      { selector: 'replicas', value: '-4' },
      { selector: 'ratio', value: '1e-3' },
      { selector: 'on', value: 'false' },
      { selector: 'legacy', value: 'false' },
    ]);
    expect(result.text).toBe('replicas: -4\nratio: 1e-3\non: false\nlegacy: false\n');
    expect(result.applied.every((a) => a.typeChange === undefined)).toBe(true);
  });

  it('reads values the way a %YAML 1.1 document does', () => {
    const source = '%YAML 1.1\n---\nenabled: yes\nname: text\ncount: 1_000\n';
    const result = edit(source, [
      { selector: 'enabled', value: 'no' },
      { selector: 'name', value: 'on' },
      { selector: 'count', value: '2_000' },
    ]);
    expect(result.text).toBe('%YAML 1.1\n---\nenabled: no\nname: "on"\ncount: 2_000\n');
    expect(parse(result.text)).toEqual({ enabled: false, name: 'on', count: 2000 });
  });

  it('edits one element of a flow sequence in place', () => {
    const result = edit('args: ["--version", "12"]  # pinned\n', [{ selector: 'args[1]', value: '13' }]);
    expect(result.text).toBe('args: ["--version", "13"]  # pinned\n');
  });

  it('edits an anchored scalar that has no alias and keeps the anchor', () => {
    expect(edit('tag: &t v1\n', [{ selector: 'tag', value: 'v2' }]).text).toBe('tag: &t v2\n');
  });

  it('edits a scalar inside an anchored map: the aliases are meant to follow their anchor', () => {
    const source = 'defaults: &d\n  tag: v1\nprod: *d\n';
    const result = edit(source, [{ selector: 'defaults.tag', value: 'v2' }]);
    expect(result.text).toBe('defaults: &d\n  tag: v2\nprod: *d\n');
    expect(parse(result.text)).toEqual({ defaults: { tag: 'v2' }, prod: { tag: 'v2' } });
  });

  it('replaces a literal block scalar with several lines, keeping header and indentation', () => {
    const source = 'cfg:\n  script: |\n    echo 1\n    echo 2\n  other: x\n';
    const result = edit(source, [{ selector: 'cfg.script', value: 'set -e\n\necho 3' }]);
    expect(result.text).toBe('cfg:\n  script: |\n    set -e\n\n    echo 3\n  other: x\n');
    expect(parse(result.text)).toEqual({ cfg: { script: 'set -e\n\necho 3\n', other: 'x' } });
  });

  it('edits the very fields that selectors match on', () => {
    const source = 'images:\n  - name: old\n    newTag: v1\n';
    const result = edit(source, [
      { selector: 'images[name=old].name', value: 'new' },
      { selector: 'images[name=old].newTag', value: 'v2' },
    ]);
    expect(result.text).toBe('images:\n  - name: new\n    newTag: v2\n');
  });

  it('accepts the same value twice for one scalar', () => {
    const result = edit('a: 1\n', [
      { selector: 'a', value: '2' },
      { selector: 'a', value: '2' },
    ]);
    expect(result.text).toBe('a: 2\n');
    expect(result.applied).toHaveLength(2);
  });

  it('picks the one document where a path exists, and any document by (Kind/name)', () => {
    const source = 'kind: Service\nmetadata:\n  name: web\n---\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n';
    expect(edit(source, [{ selector: 'spec.replicas', value: '2' }]).text).toContain('replicas: 2');
    expect(edit(source, [{ selector: '(Service/web).metadata.name', value: 'api' }]).text).toBe(
      source.replace('kind: Service\nmetadata:\n  name: web', 'kind: Service\nmetadata:\n  name: api'),
    );
  });

  describe('createMissing', () => {
    it('adds keys to nested maps that end on the same line, each inside its own map', () => {
      const source = 'a:\n  b:\n    c: 1\nz: 0\n';
      const result = edit(source, [
        { selector: 'a.b.d', value: 'x' },
        { selector: 'a.e', value: 'y' },
      ], true);
      expect(result.text).toBe('a:\n  b:\n    c: 1\n    d: x\n  e: "y"\nz: 0\n');
      expect(result.applied.map((a) => [a.previous, a.line])).toEqual([[null, 4], [null, 5]]);
    });

    it('quotes created keys and values that need it', () => {
      const result = edit('labels:\n  app: web\n', [{ selector: 'labels."a: b"', value: '!!str true' }], true);
      expect(result.text).toBe('labels:\n  app: web\n  "a: b": "true"\n');
    });

    it('gives a created key the type of its value', () => {
      const result = edit('spec:\n  name: web\n', [
        { selector: 'spec.replicas', value: '3' },
        { selector: 'spec.paused', value: 'false' },
        { selector: 'spec.tag', value: 'v1.2' },
      ], true);
      expect(result.text).toBe('spec:\n  name: web\n  replicas: 3\n  paused: false\n  tag: v1.2\n');
      expect(result.applied.map((a) => [a.value, a.previous, a.changed])).toEqual([['3', null, true], ['false', null, true], ['v1.2', null, true]]);
    });

    it('uses the map indentation of list items', () => {
      const result = edit('items:\n  - name: a\n    value: 1\n', [{ selector: 'items[0].extra', value: 'v' }], true);
      expect(result.text).toBe('items:\n  - name: a\n    value: 1\n    extra: v\n');
    });

    it('needs (Kind/name) when several documents could take the key', () => {
      const source = 'kind: A\nmetadata:\n  name: x\n---\nkind: B\nmetadata:\n  name: y\n';
      expect(() => edit(source, [{ selector: 'metadata.labels.tier', value: 'web' }], true)).toThrow(
        'create-missing cannot tell which document to add it to',
      );
      expect(edit(source, [{ selector: '(B/y).metadata.labels.tier', value: 'web' }], true).text).toBe(
        `${source}  labels:\n    tier: web\n`,
      );
    });

    it('refuses to fill an empty (null) map value', () => {
      expect(() => edit('model:\nother: 1\n', [{ selector: 'model.version', value: '1' }], true)).toThrow(
        '`model` is empty (null), which has no key `version`',
      );
    });

    it('does not create keys unless asked', () => {
      expect(() => edit('model: {}\n', [{ selector: 'model.version', value: '1' }])).toThrow(UserError);
    });
  });
});
