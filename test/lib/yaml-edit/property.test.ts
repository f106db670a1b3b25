import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { UserError } from '../../../src/lib/errors.ts';
import { editYamlText } from '../../../src/lib/yaml-edit/index.ts';
import type { ScalarEdit } from '../../../src/lib/yaml-edit/index.ts';
import { doubleQuoted, isSafePlain, readsAsString, singleQuoted } from '../../../src/lib/yaml-edit/scalar-style.ts';
import { keySegment } from '../../../src/lib/yaml-edit/selector.ts';
import { expectOnlySplicedBytesChanged } from './splices.ts';

// A generated document is a tree of block maps and lists with scalars in every style, flow lists, block scalars,
// comments and blank lines. Each scalar leaf knows its source text; the oracle for values is the yaml parser itself.

type Leaf = { t: 'scalar'; text: string; comment: boolean; anchor: boolean };
type Multiline = { t: 'multiline'; first: string; rest: string };
type Empty = { t: 'empty'; comment: boolean };
type FlowMap = { t: 'flowmap'; entries: Array<[string, string]> };
type Flow = { t: 'flow'; items: string[] };
type Block = { t: 'block'; header: '|' | '|-' | '>'; lines: string[] };
type Entry = { key: string; node: Tree; blankBefore: boolean; commentBefore: boolean };
type MapNode = { t: 'map'; entries: Entry[] };
type SeqNode = { t: 'seq'; items: Tree[] };
type Tree = Leaf | Multiline | Empty | Flow | FlowMap | Block | MapNode | SeqNode;

const word = fc.stringMatching(/^[a-z][a-z0-9./_-]{0,8}$/).filter((w) => readsAsString(w) && !w.endsWith('.'));
const plainWord = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter(readsAsString);
const key = fc
  .oneof(word, fc.constantFrom('a.b', 'with space', 'x=y', 'k[0]', 'ml.acme.io/model-version'))
  .filter((k) => k !== 'kind' && k !== 'metadata');
const printable = fc.string({ maxLength: 12 });
const scalarText = fc.oneof(
  word,
  fc.integer({ min: -1000, max: 100000 }).map(String),
  fc.tuple(fc.nat(99), fc.nat(99)).map(([a, b]) => `${a}.${b}5`),
  fc.constantFrom('true', 'false', '~'),
  printable.map((s) => JSON.stringify(s)),
  printable.map((s) => `'${s.replaceAll("'", "''")}'`),
);
const flowItem = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter(readsAsString),
  fc.integer({ min: 0, max: 999 }).map(String),
  printable.map((s) => JSON.stringify(s)),
);

const { tree } = fc.letrec<{ tree: Tree; map: MapNode; seq: SeqNode }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'tree' },
    fc.record({ t: fc.constant('scalar' as const), text: scalarText, comment: fc.boolean(), anchor: fc.boolean() }),
    fc.record({ t: fc.constant('scalar' as const), text: scalarText, comment: fc.boolean(), anchor: fc.constant(false) }),
    fc.record({ t: fc.constant('multiline' as const), first: plainWord, rest: plainWord }),
    fc.record({ t: fc.constant('empty' as const), comment: fc.boolean() }),
    fc.record({
      t: fc.constant('flowmap' as const),
      entries: fc.uniqueArray(fc.tuple(plainWord, flowItem), { minLength: 1, maxLength: 3, selector: (e) => e[0] }),
    }),
    fc.record({ t: fc.constant('flow' as const), items: fc.array(flowItem, { minLength: 1, maxLength: 4 }) }),
    fc.record({
      t: fc.constant('block' as const),
      header: fc.constantFrom('|' as const, '|-' as const, '>' as const),
      lines: fc.array(fc.stringMatching(/^[a-z][a-z :#]{0,10}[a-z]$/), { minLength: 1, maxLength: 3 }),
    }),
    tie('map'),
    tie('seq'),
  ),
  map: fc.record({
    t: fc.constant('map' as const),
    entries: fc.uniqueArray(
      fc.record({ key, node: tie('tree'), blankBefore: fc.boolean(), commentBefore: fc.boolean() }),
      { minLength: 1, maxLength: 4, selector: (entry) => entry.key },
    ),
  }),
  seq: fc.record({ t: fc.constant('seq' as const), items: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
}));

const rootMap = fc.record({
  t: fc.constant('map' as const),
  entries: fc.uniqueArray(
    fc.record({ key, node: tree, blankBefore: fc.boolean(), commentBefore: fc.boolean() }),
    { minLength: 1, maxLength: 5, selector: (entry) => entry.key },
  ),
});

type Target = { path: Array<string | number>; selector: string };
let anchorCounter = 0;

function renderKey(k: string): string {
  return /^[a-z][a-z0-9./_-]*$/.test(k) ? k : JSON.stringify(k);
}

/** Lines of `node` as the value of a block entry whose line starts with `head` (e.g. `  key:` or `  -`). */
function renderValue(node: Tree, head: string, indent: number, path: Target, out: string[], targets: Target[]): void {
  const pad = ' '.repeat(indent);
  switch (node.t) {
    case 'scalar':
      out.push(`${head} ${node.anchor ? `&a${(anchorCounter += 1)} ` : ''}${node.text}${node.comment ? ' # note' : ''}`);
      targets.push(path);
      return;
    case 'multiline':
      out.push(`${head} ${node.first}`, `${pad}    ${node.rest}`);
      targets.push(path);
      return;
    case 'empty':
      out.push(`${head}${node.comment ? ' # to be set' : ''}`);
      targets.push(path);
      return;
    case 'flowmap':
      out.push(`${head} {${node.entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
      node.entries.forEach(([k]) => targets.push({ path: [...path.path, k], selector: `${path.selector}.${keySegment(k)}` }));
      return;
    case 'flow':
      out.push(`${head} [${node.items.join(', ')}]`);
      node.items.forEach((_, i) => targets.push({ path: [...path.path, i], selector: `${path.selector}[${i}]` }));
      return;
    case 'block':
      out.push(`${head} ${node.header}`);
      for (const line of node.lines) out.push(`${pad}  ${line}`);
      return;
    case 'map':
      out.push(head);
      renderMap(node, indent + 2, path, out, targets);
      return;
    case 'seq':
      out.push(head);
      renderSeq(node, indent + 2, path, out, targets);
      return;
  }
}

function renderMap(node: MapNode, indent: number, path: Target, out: string[], targets: Target[]): void {
  const pad = ' '.repeat(indent);
  node.entries.forEach((entry, i) => {
    if (i > 0 && entry.blankBefore) out.push('');
    if (i > 0 && entry.commentBefore) out.push(`${pad}# about ${entry.key}`);
    const child: Target = {
      path: [...path.path, entry.key],
      selector: path.path.length === 1 ? keySegment(entry.key) : `${path.selector}.${keySegment(entry.key)}`,
    };
    renderValue(entry.node, `${pad}${renderKey(entry.key)}:`, indent, child, out, targets);
  });
}

function renderSeq(node: SeqNode, indent: number, path: Target, out: string[], targets: Target[]): void {
  const pad = ' '.repeat(indent);
  node.items.forEach((item, i) => {
    renderValue(item, `${pad}-`, indent, { path: [...path.path, i], selector: `${path.selector}[${i}]` }, out, targets);
  });
}

const document = fc
  .tuple(fc.array(rootMap, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), fc.boolean())
  .map(([roots, crlf, noFinalNewline, leadingComment]) => {
    const out: string[] = leadingComment ? ['# generated', ''] : [];
    const targets: Target[] = [];
    roots.forEach((root, index) => {
      if (index > 0) out.push(index === 1 ? '---' : '...\n---');
      // With several documents each one is a Kubernetes-style object picked by (Kind/name).
      const prefix = roots.length > 1 ? `(Kind${index}/name-${index}).` : '';
      if (roots.length > 1) out.push(`kind: Kind${index}`, 'metadata:', `  name: name-${index}`);
      const before = targets.length;
      renderMap(root, 0, { path: [index], selector: '' }, out, targets);
      for (const target of targets.slice(before)) target.selector = prefix + target.selector;
    });
    let text = `${out.join('\n')}\n`;
    if (noFinalNewline) text = text.slice(0, -1);
    if (crlf) text = text.replaceAll('\n', '\r\n');
    return { text, targets };
  })
  .filter((doc) => doc.targets.length > 0);

const specialValues = fc.constantFrom(
  'yes', 'no', 'on', 'off', 'y', 'N', 'true', 'False', '~', 'null', '', '0x1F', '0o17', '017', '1.10', '1e3', '1_000',
  '.inf', '2024-01-01', '12', '-3', '13", evil: "x', '{a: 1}', '[x]', '*anchor', '&a b', '!!python/object:os.system',
  'a: b', '# x', 'x # y', '- item', '---', '...', '|', '>', "it's", 'say "hi"', 'back\\slash', 'line\nbreak', ' padded ',
  'tab\there', 'a,b', 'ünïcödé ✓', '\u0085nel', '\u2028', '\ufeffbom', 'v1.5.0', 'ghcr.io/acme/x:1.2',
);
/** Tagged values and what every reader loads from them. */
const TAGGED: Record<string, unknown> = {
  '!!int 42': 42, '!!int 0x1F': 31, '!!int 1_000': 1000, '!!float 2': 2, '!!float 1e3': 1000, '!!float 0.5': 0.5,
  '!!bool yes': true, '!!bool false': false, '!!null': null, '!!str 12': '12', '!!str yes': 'yes', '!!str !x': '!x',
};
const newValue = fc.oneof(
  specialValues,
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.integer().map(String),
  fc.constantFrom(...Object.keys(TAGGED)),
);

/** An untagged value as an edit takes it: text starting with "!" needs `!!str`, or it would read as a tag. */
function asText(value: string): string {
  return value.startsWith('!') ? `!!str ${value}` : value;
}

/**
 * The oracle for a key that has no type yet (a null placeholder): `true`/`false`, and numbers spelled exactly as
 * JavaScript prints them that both readers load as that number, take their type; anything else stays text.
 */
function inferred(value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true';
  const number = Number(value);
  if (!/^-?\d+(\.\d+)?$/.test(value) || String(number) !== value || (Number.isInteger(number) && !Number.isSafeInteger(number))) return value;
  const both = [parse(`k: ${value}`, { version: '1.2' }), parse(`k: ${value}`, { version: '1.1' })] as Array<{ k: unknown }>;
  return both.every((read) => read.k === number) ? number : value;
}

function isTypeConflict(error: unknown): boolean {
  return error instanceof UserError && error.message.includes('to store a string');
}

/** The JS value of every document; fails on any parse error (a generator or editor bug). */
function readAll(text: string, version: '1.1' | '1.2' = '1.2'): unknown[] {
  const documents = parseAllDocuments(text, { version });
  if (!Array.isArray(documents)) return [];
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS() as unknown);
}

function getIn(value: unknown, path: ReadonlyArray<string | number>): unknown {
  return path.reduce<unknown>((current, step) => (current as Record<string | number, unknown>)[step], value);
}

function setIn(value: unknown, path: ReadonlyArray<string | number>, next: unknown): void {
  const parent = getIn(value, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = next;
}

const scenario = document.chain((doc) =>
  fc.record({
    doc: fc.constant(doc),
    picks: fc.uniqueArray(fc.nat(doc.targets.length - 1), { minLength: 1, maxLength: 4 }),
    values: fc.array(newValue, { minLength: 4, maxLength: 4 }),
  }),
);

describe('editYamlText on generated documents', () => {
  it('changes exactly the targeted values, keeps every other byte and is idempotent', () => {
    fc.assert(
      fc.property(scenario, ({ doc, picks, values }) => {
        const source = doc.text;
        const before = readAll(source);
        const targets = picks.map((pick) => doc.targets[pick] as Target);
        const edits: ScalarEdit[] = targets.map((target, i) => {
          const value = values[i] as string;
          return { selector: target.selector, value: Object.hasOwn(TAGGED, value) ? value : asText(value) };
        });
        // An untagged value that does not match a number or boolean is refused; the user then tags it `!!str`.
        edits.forEach((edit, i) => {
          try {
            editYamlText(source, [edit], { file: 'generated.yaml' });
          } catch (error) {
            if (!isTypeConflict(error)) throw error;
            const previous = getIn(before, (targets[i] as Target).path);
            expect(['number', 'boolean']).toContain(typeof previous);
            edits[i] = { selector: edit.selector, value: `!!str ${values[i] as string}` };
          }
        });

        const result = editYamlText(source, edits, { file: 'generated.yaml' });

        expectOnlySplicedBytesChanged(source, result);
        const after = readAll(result.text);
        const after11 = readAll(result.text, '1.1');
        const expected = structuredClone(before);
        targets.forEach((target, i) => {
          const given = edits[i]?.value as string;
          const value = values[i] as string;
          const previous = getIn(before, target.path);
          const now = getIn(after, target.path);
          if (Object.hasOwn(TAGGED, given)) {
            // A tagged value loads as its tag says, for every reader.
            expect(now).toEqual(TAGGED[given]);
            expect(getIn(after11, target.path)).toEqual(TAGGED[given]);
          } else if (given.startsWith('!!str ') || typeof previous === 'string') {
            // A string stays a string, and `!!str` makes one, for YAML 1.2 and YAML 1.1 readers alike.
            expect(now).toBe(value);
            expect(getIn(after11, target.path)).toBe(value);
            if (typeof previous !== 'string' && now !== previous) expect(result.applied[i]?.typeChange?.to).toBe('string');
          } else if (previous === null) {
            // A null placeholder takes the type of its value, as a created key does.
            expect(now).toEqual(inferred(value));
            expect(getIn(after11, target.path)).toEqual(inferred(value));
          } else {
            // A number or boolean given an untagged value keeps its type: the value is one of the same kind.
            expect(typeof now).toBe(typeof previous);
            expect(now).toEqual(parse(value));
            expect(result.applied[i]?.typeChange).toBeUndefined();
          }
          setIn(expected, target.path, now);
        });
        expect(after).toEqual(expected);

        const again = editYamlText(result.text, edits, { file: 'generated.yaml' });
        expect(again.changed).toBe(false);
        expect(again.text).toBe(result.text);
      }),
      { numRuns: Number(process.env.YAML_EDIT_RUNS ?? 300) },
    );
  });
});

describe('scalar rendering', () => {
  const text = fc.oneof(specialValues, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));

  it('writes plain only what every reader takes back as the same string, in block and flow context', () => {
    fc.assert(
      fc.property(text, (value) => {
        if (isSafePlain(value, false) && readsAsString(value)) {
          for (const version of ['1.1', '1.2'] as const) {
            expect(parse(`k: ${value} # c\n`, { version })).toEqual({ k: value });
            expect(parse(`- ${value}\n`, { version })).toEqual([value]);
          }
        }
        if (isSafePlain(value, true) && readsAsString(value)) {
          for (const version of ['1.1', '1.2'] as const) {
            expect(parse(`k: [${value}, ${value}]\n`, { version })).toEqual({ k: [value, value] });
            expect(parse(`k: {a: ${value}, b: x}\n`, { version })).toEqual({ k: { a: value, b: 'x' } });
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes any string so that it reads back exactly', () => {
    fc.assert(
      fc.property(text, (value) => {
        for (const version of ['1.1', '1.2'] as const) {
          expect(parse(`k: ${doubleQuoted(value)}\n`, { version })).toEqual({ k: value });
          const single = singleQuoted(value);
          if (single !== undefined) expect(parse(`k: [${single}]\n`, { version })).toEqual({ k: [value] });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
