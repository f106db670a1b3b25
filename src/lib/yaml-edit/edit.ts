/**
 * Byte-preserving scalar edits: the output differs from the input only inside the source ranges of the edited
 * scalars (plus the inserted lines of keys created by `createMissing`). Documents are never re-serialised.
 */
import { LineCounter, parseAllDocuments, visit } from 'yaml';
import type { Document, Pair, Scalar, YAMLMap } from 'yaml';
import { UserError } from '../errors.ts';
import { renderBlockContent } from './block-scalar.ts';
import { renderCreated, renderFlowScalar } from './render.ts';
import type { FlowStyle, Rendered, RenderOutcome, TypeConflict, YamlVersion } from './render.ts';
import { isSafePlain, readPlain11, readPlain12, readsAsString } from './scalar-style.ts';
import type { ValueKind } from './scalar-style.ts';
import { parseEditValue, showValue, ValueSyntaxError } from './value.ts';
import type { EditValue } from './value.ts';
import { Locator, resolveSelector } from './resolve.ts';
import type { Found, Missing, ParsedFile } from './resolve.ts';
import { parseSelector, SelectorSyntaxError } from './selector.ts';
import type { Selector } from './selector.ts';

export interface ScalarEdit {
  selector: string;
  /** The new value, optionally tagged: `13`, `!!int 3`, `!!str 12` (see the type rules in index.ts). */
  value: string;
}

export interface AppliedEdit {
  selector: string;
  /** The value replaced, as text; null when the key was created by `createMissing`. */
  previous: string | null;
  value: string;
  changed: boolean;
  /** 1-based line of the scalar in the resulting text. */
  line: number;
  /** Set when the scalar's type changed, e.g. `replicas: 3` given `!!str abc` became the string "abc". */
  typeChange?: { from: ValueKind; to: ValueKind };
}

/** One replaced range of the input: `source.slice(start, end)` became `text`. Offsets are UTF-16 string indexes. */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

export interface EditResult {
  text: string;
  applied: AppliedEdit[];
  changed: boolean;
  /** The input ranges that changed, in order; every byte outside them is unchanged. */
  splices: Splice[];
}

export interface EditOptions {
  /** The file's path as the user wrote it, for messages. */
  file: string;
  /** Create missing map keys on the path (never list items). */
  createMissing?: boolean;
}

interface Replacement {
  kind: 'replace';
  editIndex: number;
  node: Scalar;
  documentIndex: number;
  start: number;
  end: number;
  text: string;
  loaded: unknown;
  previous: string;
  changed: boolean;
  /** Where the scalar node starts: `start + leading` (flow scalars) or before `start` (a block scalar's header). */
  nodeStart: number;
  typeChange?: { from: ValueKind; to: ValueKind };
}

interface CreatedLeaf {
  editIndex: number;
  /** The value's scalar text, e.g. `3` or `"13"`. */
  text: string;
}
type KeyTree = Map<string, KeyTree | CreatedLeaf>;

interface Insertion {
  kind: 'insert';
  map: YAMLMap.Parsed;
  documentIndex: number;
  depth: number;
  tree: KeyTree;
  firstEdit: number;
}

const STRING_TAG = 'tag:yaml.org,2002:str';

function parseFile(source: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const documents = Array.from(
    parseAllDocuments(source, { keepSourceTokens: true, lineCounter, prettyErrors: false }),
  ) as Document.Parsed[];
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const pos = lineCounter.linePos(error.pos[0]);
      const reason = error.message.replace(/\s+/g, ' ').replace(/\.$/, '');
      throw new UserError(
        `${file}:${pos.line}:${pos.col}: the file is not valid YAML (${reason}); fix it before updating it.`,
        { location: { file, line: pos.line, column: pos.col } },
      );
    }
  }
  return { source, file, documents, lineCounter };
}

function lineEnding(source: string): string {
  const newline = source.indexOf('\n');
  return newline > 0 && source[newline - 1] === '\r' ? '\r\n' : '\n';
}

function parseSelectorFor(text: string, file: string): Selector {
  try {
    return parseSelector(text);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) {
      throw new UserError(`The selector \`${text}\` for ${file} is malformed: ${error.reason} at column ${error.column}.`, {
        location: { file },
      });
    }
    throw error;
  }
}

function parseValueFor(edit: ScalarEdit, selector: Selector, file: string): EditValue {
  try {
    return parseEditValue(edit.value);
  } catch (error) {
    if (error instanceof ValueSyntaxError) {
      throw new UserError(`The value ${showValue(edit.value)} for \`${selector.text}\` in ${file} cannot be written: ${error.reason}.`, {
        location: { file },
      });
    }
    throw error;
  }
}

function planReplacement(
  parsed: ParsedFile,
  locator: Locator,
  selector: Selector,
  found: Found,
  value: EditValue,
  editIndex: number,
  eol: string,
): Replacement {
  const { source, file } = parsed;
  const node = found.node;
  const range = node.range as [number, number, number];
  const sel = `\`${selector.text}\``;
  const base = { kind: 'replace' as const, editIndex, node, documentIndex: found.documentIndex };
  const token = node.srcToken;
  const typedTag = value.tag !== undefined && value.tag !== 'str' ? `!!${value.tag}` : undefined;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const header = node.type === 'BLOCK_LITERAL' ? '|' : '>';
    if (typedTag !== undefined) {
      throw locator.error(
        `${sel} in ${file} is a block scalar (${header}), which holds text only, so it cannot take ${typedTag} ${showValue(value.text)}; edit it by hand.`,
        range[0],
      );
    }
    const content = token !== undefined && token.type === 'block-scalar' ? token.source : undefined;
    const block = content === undefined ? { ok: false as const, reason: 'its content could not be located' } : renderBlockContent(source, node, content, value.text, eol);
    if (!block.ok) {
      throw locator.error(
        `${sel} in ${file} is a block scalar (${header}) that cannot hold the new value: ${block.reason}; edit it by hand or use a quoted scalar.`,
        range[0],
      );
    }
    const previous = String(node.value);
    return {
      ...base,
      start: block.start,
      end: block.end,
      text: block.text,
      loaded: block.loaded,
      previous,
      changed: node.value !== block.loaded,
      nodeStart: range[0],
    };
  }
  if (node.tag !== undefined && node.tag !== STRING_TAG) {
    // Only explicit tags are recorded on parsed scalars (`!!int 12`, `!Ref x`); replacing the value under them is a guess.
    throw locator.error(
      `${sel} in ${file} has the explicit tag ${shortTag(node.tag)}, so its value cannot be replaced safely; edit it by hand.`,
      range[0],
    );
  }
  if (node.tag === STRING_TAG && typedTag !== undefined) {
    throw locator.error(
      `${sel} in ${file} has the explicit tag !!str, so it cannot take ${typedTag} ${showValue(value.text)}; remove the tag by hand first, or give a string.`,
      range[0],
    );
  }
  const style: FlowStyle = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? node.type : 'PLAIN';
  const version = documentVersion(parsed, found.documentIndex);
  // `!!str 12` in the file already makes it a string: the value is one, quoted anyway for readers that ignore tags.
  const asWritten: EditValue = node.tag === STRING_TAG ? { tag: 'str', text: value.text } : value;
  if (token === undefined) {
    // An empty value (`key:` or `- `): the new scalar is inserted where the value would be.
    const at = range[0];
    const rendered = renderedOrRefused(renderFlowScalar('PLAIN', '', asWritten, found.inFlow, version), locator, sel, file, '', value, at);
    const before = at > 0 && !/[ \t]/.test(source[at - 1] ?? '') ? ' ' : '';
    const after = source[at] === '#' ? ' ' : '';
    return withRendered(base, at, at, `${before}${rendered.text}${after}`, rendered, node, '', at + before.length, '');
  }
  const current = source.slice(range[0], range[1]);
  const rendered = renderedOrRefused(renderFlowScalar(style, current, asWritten, found.inFlow, version), locator, sel, file, current, value, range[0]);
  // Under `!!str` the scalar was a string whatever its text looked like.
  if (node.tag === STRING_TAG) delete rendered.typeChange;
  const previous = typeof node.value === 'string' ? node.value : current;
  return withRendered(base, range[0], range[1], rendered.text, rendered, node, previous, range[0], style === 'PLAIN' ? current : undefined);
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** The rendered scalar, or the refusal of an untagged value that would change a number's or boolean's type. */
function renderedOrRefused(
  outcome: RenderOutcome,
  locator: Locator,
  sel: string,
  file: string,
  current: string,
  value: EditValue,
  offset: number,
): Rendered {
  if (outcome.ok) return outcome.rendered;
  throw locator.error(conflictMessage(outcome.conflict, sel, file, current, value.text), offset);
}

const KIND_PHRASE: Record<ValueKind, string> = {
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
  string: 'text',
  other: 'a date or other non-text value',
};

/** `replicas` in values.yaml is a number (3), and abc would silently turn it into a string; write !!str abc .... */
function conflictMessage(conflict: TypeConflict, sel: string, file: string, current: string, value: string): string {
  const shown = showValue(value);
  const readers = conflict.yaml11Only ? ' to YAML 1.1 readers such as Helm' : '';
  let what: string;
  if (conflict.value12 === 'string' && conflict.value11 === 'string') what = 'would silently turn it into a string';
  else if (conflict.value12 === conflict.value11 && conflict.value12 === conflict.kind) what = 'is read as different numbers by YAML 1.2 and YAML 1.1 readers';
  else if (conflict.value12 === conflict.value11) what = `is ${KIND_PHRASE[conflict.value12]}, not ${KIND_PHRASE[conflict.kind]}`;
  else what = `is read as ${KIND_PHRASE[conflict.value12]} by YAML 1.2 readers but as ${KIND_PHRASE[conflict.value11]} by YAML 1.1 readers such as Helm`;
  const keep = conflict.keepTag === undefined ? '' : `, or ${conflict.keepTag} ${shown} to keep ${KIND_PHRASE[conflict.kind]}`;
  return `${sel} in ${file} is ${KIND_PHRASE[conflict.kind]} (${showValue(current)})${readers}, and ${shown} ${what}; write !!str ${shown} to store a string${keep}.`;
}

/** The YAML version the target's document is read with (`%YAML 1.1` documents read `yes` as true). */
function documentVersion(parsed: ParsedFile, documentIndex: number): YamlVersion {
  return parsed.documents[documentIndex]?.directives?.yaml.version === '1.1' ? '1.1' : '1.2';
}

function withRendered(
  base: Pick<Replacement, 'kind' | 'editIndex' | 'node' | 'documentIndex'>,
  start: number,
  end: number,
  text: string,
  rendered: Rendered,
  node: Scalar,
  previous: string,
  nodeStart: number,
  plainSource: string | undefined,
): Replacement {
  // `!!float 3` on `replicas: 3` is a change although JS loads both as 3: Go readers and schemas tell int from float.
  const numberTagChanged =
    rendered.numberTag !== undefined &&
    plainSource !== undefined &&
    (readPlain12(plainSource).tag !== rendered.numberTag || readPlain11(plainSource).tag !== rendered.numberTag);
  const changed = !Object.is(node.value, rendered.loaded) || numberTagChanged;
  const replacement: Replacement = { ...base, start, end, text, loaded: rendered.loaded, previous, changed, nodeStart };
  if (changed && rendered.typeChange !== undefined) replacement.typeChange = rendered.typeChange;
  return replacement;
}

function keyText(key: string): string {
  return isSafePlain(key, false) && readsAsString(key) ? key : JSON.stringify(key);
}

/** Where new keys of a block map go: at the start of the line after its last entry. */
function insertionPoint(source: string, map: YAMLMap.Parsed): number {
  const last = map.items[map.items.length - 1] as Pair<Scalar, Scalar | null> | undefined;
  const end = last?.value?.range?.[1] ?? last?.key?.range?.[1] ?? map.range[1];
  if (end > 0 && source[end - 1] === '\n') return end;
  const newline = source.indexOf('\n', end);
  return newline === -1 ? source.length : newline + 1;
}

function renderTree(tree: KeyTree, indent: number, eol: string, lines: string[]): void {
  for (const [key, child] of tree) {
    const pad = ' '.repeat(indent);
    if (child instanceof Map) {
      lines.push(`${pad}${keyText(key)}:`);
      renderTree(child, indent + 2, eol, lines);
    } else {
      lines.push(`${pad}${keyText(key)}: ${child.text}`);
    }
  }
}

function countNodes(parsed: ParsedFile): number {
  let count = 0;
  for (const document of parsed.documents) {
    visit(document, () => {
      count += 1;
    });
  }
  return count;
}

function countCreated(tree: KeyTree): number {
  let count = 0;
  for (const child of tree.values()) count += 3 + (child instanceof Map ? countCreated(child) : 0);
  return count;
}

/**
 * Applies all edits to one file's text. `file` is used in messages (UserError with location {file, line, column}).
 * Atomic: throws before returning anything if any edit is invalid. Parses once, splices the new scalar texts into the
 * source, then re-parses the result once to prove every target holds its new value and nothing else moved.
 */
export function editYamlText(source: string, edits: readonly ScalarEdit[], options: EditOptions): EditResult {
  const { file } = options;
  const createMissing = options.createMissing === true;
  if (edits.length === 0) return { text: source, applied: [], changed: false, splices: [] };
  const selectors = edits.map((edit) => parseSelectorFor(edit.selector, file));
  const values = edits.map((edit, editIndex) => parseValueFor(edit, selectors[editIndex] as Selector, file));
  const parsed = parseFile(source, file);
  const locator = new Locator(parsed);
  const eol = lineEnding(source);

  const replacements: Replacement[] = [];
  const planOf: Array<Replacement | undefined> = new Array<Replacement | undefined>(edits.length);
  const byStart = new Map<number, Replacement>();
  const insertions = new Map<YAMLMap.Parsed, Insertion>();
  const createdIn = new Map<number, Insertion>();
  // What each created key must read back as, by edit.
  const createdLoaded = new Map<number, unknown>();

  edits.forEach((edit, editIndex) => {
    const selector = selectors[editIndex] as Selector;
    const target = resolveSelector(locator, selector, createMissing);
    if (target.status === 'found') {
      const plan = planReplacement(parsed, locator, selector, target, values[editIndex] as EditValue, editIndex, eol);
      const earlier = byStart.get(plan.start);
      if (earlier !== undefined && earlier.text !== plan.text) {
        throw locator.error(
          `Two updates set the same value in ${file} differently: \`${edits[earlier.editIndex]?.selector}\`=${edits[earlier.editIndex]?.value} and \`${edit.selector}\`=${edit.value}; keep one of them.`,
          target.node.range?.[0],
        );
      }
      if (earlier === undefined) byStart.set(plan.start, plan);
      replacements.push(plan);
      planOf[editIndex] = plan;
    } else {
      planCreation(target, selector, values[editIndex] as EditValue, editIndex);
    }
  });

  function planCreation(missing: Missing, selector: Selector, value: EditValue, editIndex: number): void {
    if (missing.map.flow === true) {
      const base = missing.error();
      throw new UserError(
        `${base.message.replace(/\.$/, '')}; create-missing cannot add keys to a flow map ({...}), so rewrite it as a block map or add the key by hand.`,
        { location: base.location ?? { file } },
      );
    }
    let insertion = insertions.get(missing.map);
    if (insertion === undefined) {
      insertion = { kind: 'insert', map: missing.map, documentIndex: missing.documentIndex, depth: missing.depth, tree: new Map(), firstEdit: editIndex };
      insertions.set(missing.map, insertion);
    }
    createdIn.set(editIndex, insertion);
    const rendered = renderCreated(value, documentVersion(parsed, missing.documentIndex));
    createdLoaded.set(editIndex, rendered.loaded);
    let tree = insertion.tree;
    missing.keys.forEach((key, i) => {
      const last = i === missing.keys.length - 1;
      const existing = tree.get(key);
      const conflict = (): UserError =>
        locator.error(`Two updates for ${file} create \`${selector.text}\` in conflicting ways (as a value and as a map, or with different values); keep one of them.`, missing.map.range[0]);
      if (last) {
        if (existing instanceof Map || (existing !== undefined && existing.text !== rendered.text)) throw conflict();
        if (existing === undefined) tree.set(key, { editIndex, text: rendered.text });
      } else {
        if (existing !== undefined && !(existing instanceof Map)) throw conflict();
        const child: KeyTree = existing ?? new Map();
        tree.set(key, child);
        tree = child;
      }
    });
  }

  // Build the splices: replacements of changed scalars, and one insertion per map that gains keys.
  type Planned = { start: number; end: number; text: string; order: number };
  const planned: Planned[] = [];
  for (const plan of byStart.values()) {
    if (plan.changed) planned.push({ start: plan.start, end: plan.end, text: plan.text, order: 0 });
  }
  let createdNodes = 0;
  for (const insertion of insertions.values()) {
    const map = insertion.map;
    const firstKey = (map.items[0] as Pair<Scalar> | undefined)?.key;
    const indent = firstKey?.range ? parsed.lineCounter.linePos(firstKey.range[0]).col - 1 : 0;
    const lines: string[] = [];
    renderTree(insertion.tree, indent, eol, lines);
    const at = insertionPoint(source, map);
    const atEndWithoutNewline = at === source.length && source.length > 0 && !source.endsWith('\n');
    const text = atEndWithoutNewline ? eol + lines.join(eol) : lines.map((line) => line + eol).join('');
    // Several maps can end on the same line; the deeper map's keys go first so each lands inside its own map.
    planned.push({ start: at, end: at, text, order: 1_000_000 - insertion.depth });
    createdNodes += countCreated(insertion.tree);
  }
  planned.sort((a, b) => a.start - b.start || a.order - b.order);

  const splices: Splice[] = [];
  for (const item of planned) {
    const previous = splices[splices.length - 1];
    if (previous !== undefined && previous.end === item.start && item.start === item.end) {
      previous.text += item.text; // an insertion right after another splice: keep the splices disjoint
    } else {
      splices.push({ start: item.start, end: item.end, text: item.text });
    }
  }
  const changed = splices.length > 0;
  let text = source;
  if (changed) {
    const parts: string[] = [];
    let cursor = 0;
    for (const splice of splices) {
      parts.push(source.slice(cursor, splice.start), splice.text);
      cursor = splice.end;
    }
    parts.push(source.slice(cursor));
    text = parts.join('');
  }

  // Verify on a fresh parse that each target holds its value and that no node appeared or vanished.
  const lines = new Array<number>(edits.length).fill(0);
  if (changed) {
    const result = verifyParse(text, file);
    const resultLocator = new Locator(result);
    if (result.documents.length !== parsed.documents.length || countNodes(result) !== countNodes(parsed) + createdNodes) {
      throw internalError(file, 'the document structure changed');
    }
    // Replaced scalars are found again by position (a selector may match on a value that was just edited);
    // created keys by their selector.
    const scalarsByStart = new Map<number, Scalar>();
    for (const document of result.documents) {
      visit(document, {
        Scalar(_, node) {
          if (node.range) scalarsByStart.set(node.range[0], node);
        },
      });
    }
    edits.forEach((edit, editIndex) => {
      const plan = planOf[editIndex];
      if (plan !== undefined && !plan.changed) {
        // Its bytes were not touched; only its line may have moved.
        const offset = shiftedOffset(splices, plan.node.range?.[0] ?? 0, undefined);
        lines[editIndex] = result.lineCounter.linePos(offset).line;
        return;
      }
      const node =
        plan === undefined
          ? (resolveSelector(resultLocator, selectors[editIndex] as Selector, false) as Found).node
          : scalarsByStart.get(shiftedOffset(splices, plan.nodeStart, plan.start));
      const expected = plan === undefined ? createdLoaded.get(editIndex) : plan.loaded;
      if (node === undefined || !Object.is(node.value, expected)) {
        throw internalError(file, `\`${edit.selector}\` would not read back as ${JSON.stringify(expected)}`);
      }
      lines[editIndex] = result.lineCounter.linePos(node.range?.[0] ?? 0).line;
    });
  } else {
    for (const plan of replacements) lines[plan.editIndex] = parsed.lineCounter.linePos(plan.node.range?.[0] ?? 0).line;
  }

  const applied: AppliedEdit[] = edits.map((edit, editIndex) => {
    const plan = planOf[editIndex];
    const line = lines[editIndex] ?? 0;
    if (plan === undefined) return { selector: edit.selector, previous: null, value: edit.value, changed: true, line };
    const entry: AppliedEdit = { selector: edit.selector, previous: plan.previous, value: edit.value, changed: plan.changed, line };
    if (plan.typeChange !== undefined) entry.typeChange = plan.typeChange;
    return entry;
  });
  return { text, applied, changed, splices };
}

/**
 * Where `offset` of the input lands in the output. Splices that end at or before it shift it; the splice starting at
 * `ownSplice` (the edited scalar's own) does not.
 */
function shiftedOffset(splices: readonly Splice[], offset: number, ownSplice: number | undefined): number {
  let shift = 0;
  for (const splice of splices) {
    if (splice.start === ownSplice || splice.end > offset) break;
    shift += splice.text.length - (splice.end - splice.start);
  }
  return offset + shift;
}

function verifyParse(text: string, file: string): ParsedFile {
  try {
    return parseFile(text, file);
  } catch (error) {
    throw internalError(file, error instanceof Error ? error.message : String(error));
  }
}

/**
 * A bug guard: the edit would not have produced what it promised, so nothing is written. Not a UserError: no input can
 * fix it, so the adapters print it as a bug, with its stack, to be reported.
 */
export class EditSelfCheckError extends Error {
  override readonly name = 'EditSelfCheckError';
}

function internalError(file: string, reason: string): EditSelfCheckError {
  return new EditSelfCheckError(
    `The update of ${file} was abandoned because the result failed its self-check (${reason}); the file was left unchanged. Please report this with the file and the update line.`,
  );
}
