/**
 * Finding the node a selector names in a parsed YAML file, with errors that say where the path stops and what is
 * there instead.
 */
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Document, LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { UserError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { keySegment, pathText } from './selector.ts';
import type { Selector, Segment } from './selector.ts';

export interface ParsedFile {
  source: string;
  file: string;
  documents: Document.Parsed[];
  lineCounter: LineCounter;
}

export interface Found {
  status: 'found';
  documentIndex: number;
  node: Scalar;
  /** True when the scalar sits inside a flow collection (`[...]`, `{...}`), where `,[]{}` need quoting. */
  inFlow: boolean;
}

/** Keys missing from an existing block map; `createMissing` can add them. */
export interface Missing {
  status: 'missing';
  documentIndex: number;
  map: YAMLMap.Parsed;
  keys: string[];
  depth: number;
  error: () => UserError;
}

interface Failed {
  status: 'failed';
  documentIndex: number;
  depth: number;
  error: () => UserError;
}

type Attempt = Found | Missing | Failed;

const MAX_LISTED = 12;

function listNames(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown}, … (${names.length} in all)` : shown;
}

export function keyName(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  return node.value === null ? (node.source ?? 'null') : String(node.value);
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  return node.value === null ? undefined : String(node.value);
}

export function describeScalar(node: Scalar): string {
  const text = node.value === null ? 'null' : String(node.value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** `Kind/name` of a Kubernetes-style document, when it has both. */
export function documentIdentity(document: Document.Parsed): { kind: string; name: string } | undefined {
  const contents = document.contents;
  if (!isMap(contents)) return undefined;
  const kind = scalarText(contents.get('kind', true));
  const metadata = contents.get('metadata', true);
  const name = isMap(metadata) ? scalarText(metadata.get('name', true)) : undefined;
  return kind === undefined || name === undefined ? undefined : { kind, name };
}

export function describeDocument(parsed: ParsedFile, index: number): string {
  const document = parsed.documents[index];
  const identity = document === undefined ? undefined : documentIdentity(document);
  const start = document?.contents?.range[0] ?? document?.range[0] ?? 0;
  const line = parsed.lineCounter.linePos(start).line;
  const where = `document ${index + 1}, line ${line}`;
  return identity === undefined ? `${where}` : `${identity.kind}/${identity.name} (${where})`;
}

export class Locator {
  readonly parsed: ParsedFile;

  constructor(parsed: ParsedFile) {
    this.parsed = parsed;
  }

  error(message: string, offset: number | undefined, input?: string): UserError {
    const location: { file: string; line?: number; column?: number } = { file: this.parsed.file };
    if (offset !== undefined) {
      const pos = this.parsed.lineCounter.linePos(offset);
      location.line = pos.line;
      location.column = pos.col;
    }
    return new UserError(message, input === undefined ? { location } : { location, input });
  }

  line(offset: number): number {
    return this.parsed.lineCounter.linePos(offset).line;
  }
}

/** Describes the path so far for messages: `model.image` or "the document root". */
function where(selector: Selector, depth: number): string {
  return depth === 0 ? 'the document root' : `\`${pathText(selector, depth)}\``;
}

function attemptInDocument(
  locator: Locator,
  selector: Selector,
  documentIndex: number,
): Attempt {
  const { file } = locator.parsed;
  const document = locator.parsed.documents[documentIndex];
  const sel = `\`${selector.text}\``;
  let current: Node | null | undefined = document?.contents;
  let inFlow = false;
  const failed = (depth: number, message: () => string, offset: number | undefined): Failed => ({
    status: 'failed',
    documentIndex,
    depth,
    error: () => locator.error(message(), offset),
  });
  const segments = selector.segments;
  for (let depth = 0; depth < segments.length; depth += 1) {
    const segment = segments[depth] as Segment;
    const here = where(selector, depth);
    const offset: number | undefined = current?.range?.[0];
    if (current === null || current === undefined) {
      return failed(depth, () => `${sel} does not exist in ${file}: ${here} is empty.`, offset);
    }
    const node: Node = current;
    if (isAlias(node)) {
      return failed(
        depth + 1,
        () =>
          `${sel} cannot be edited in ${file}: ${here} is the alias *${node.source}, so the edit would change every use of the anchor &${node.source}; edit the anchored node instead.`,
        offset,
      );
    }
    if (isMap(current) || isSeq(current)) inFlow ||= current.flow === true;
    if (segment.kind === 'key') {
      if (!isMap(current)) {
        return failed(depth, () => `${sel} does not exist in ${file}: ${here} is ${describeKind(node)}, which has no key \`${segment.key}\`${isSeq(node) ? ` (select an item first, e.g. \`${pathText(selector, depth)}[0].${keySegment(segment.key)}\` or [field=value])` : ''}.`, offset);
      }
      const map: YAMLMap.Parsed = current as YAMLMap.Parsed;
      const pair = (map.items as Pair[]).find((item) => keyName(item.key) === segment.key);
      if (pair === undefined) {
        const keys = (map.items as Pair[]).map((item) => keyName(item.key)).filter((k): k is string => k !== undefined);
        const merge = keys.includes('<<') ? ' (merged keys from `<<` cannot be edited through this map; edit the anchored map instead)' : '';
        return {
          status: 'missing',
          documentIndex,
          map,
          keys: segments.slice(depth).every((s) => s.kind === 'key') ? segments.slice(depth).map((s) => (s as { key: string }).key) : [],
          depth,
          error: () =>
            locator.error(
              `${sel} does not exist in ${file}: ${here} has no key \`${segment.key}\`${didYouMean(segment.key, keys)}; its keys are ${listNames(keys)}${merge}.`,
              offset,
            ),
        };
      }
      current = pair.value as Node | null;
      if (current === null) {
        return failed(depth + 1, () => `${sel} does not exist in ${file}: \`${pathText(selector, depth + 1)}\` has no value.`, pair.key && isScalar(pair.key) ? pair.key.range?.[0] : offset);
      }
    } else {
      if (!isSeq(current)) {
        return failed(depth, () => `${sel} does not exist in ${file}: ${here} is ${describeKind(node)}, not a list, so \`${selector.text.slice(segment.start, segment.end)}\` cannot select an item.`, offset);
      }
      const seq: YAMLSeq.Parsed = current as YAMLSeq.Parsed;
      const items = seq.items as Array<Node | null>;
      if (segment.kind === 'index') {
        if (segment.index >= items.length) {
          return failed(depth, () => `${sel} does not exist in ${file}: index ${segment.index} is out of range, ${here} has ${items.length} item${items.length === 1 ? '' : 's'}${items.length > 0 ? ` (0 to ${items.length - 1})` : ''}.`, offset);
        }
        current = items[segment.index];
      } else {
        const matches: number[] = [];
        const values: string[] = [];
        items.forEach((item, index) => {
          if (!isMap(item)) return;
          const fieldValue = scalarText(item.get(segment.field, true));
          if (fieldValue === undefined) return;
          values.push(fieldValue);
          if (fieldValue === segment.value) matches.push(index);
        });
        if (matches.length === 0) {
          return failed(depth, () => `${sel} does not exist in ${file}: no item of ${here} has ${segment.field}=${segment.value}${didYouMean(segment.value, values)}; the items' ${segment.field} values are ${listNames(values)}.`, offset);
        }
        if (matches.length > 1) {
          return failed(depth + 1, () => `${sel} is ambiguous in ${file}: items ${matches.join(', ')} of ${here} all have ${segment.field}=${segment.value}; select one by index instead, e.g. \`${pathText(selector, depth)}[${matches[0]}]\`.`, offset);
        }
        current = items[matches[0] as number];
      }
    }
  }
  const depth = segments.length;
  const target = current;
  const offset = target?.range?.[0];
  if (target === null || target === undefined) {
    return failed(depth, () => `${sel} does not exist in ${file}: the selected item is empty.`, offset);
  }
  if (isAlias(target)) {
    return failed(depth, () => `${sel} cannot be edited in ${file}: it is the alias *${target.source}, so the edit would change every use of the anchor &${target.source}; edit the anchored value instead.`, offset);
  }
  if (isMap(target)) {
    const keys = (target.items as Pair[]).map((item) => keyName(item.key)).filter((k): k is string => k !== undefined);
    return failed(depth, () => `${sel} in ${file} is a map, not a scalar value; select one of its keys: ${listNames(keys)}.`, offset);
  }
  if (isSeq(target)) {
    return failed(depth, () => `${sel} in ${file} is a list of ${target.items.length} items, not a scalar value; select an item with [N] or [field=value].`, offset);
  }
  if (!isScalar(target)) {
    return failed(depth, () => `${sel} in ${file} is not a scalar value.`, offset);
  }
  if (target.anchor !== undefined && document !== undefined && isAliased(document, target)) {
    return failed(depth, () => `${sel} cannot be edited in ${file}: the value is anchored as &${target.anchor} and used through *${target.anchor} elsewhere, so the edit would change every alias too; edit by hand or remove the alias.`, offset);
  }
  return { status: 'found', documentIndex, node: target, inFlow };
}

function describeKind(node: Node): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'empty (null)' : `the scalar ${describeScalar(node)}`;
  return 'not a map';
}

function isAliased(document: Document.Parsed, node: Node): boolean {
  let aliased = false;
  visit(document, {
    Alias(_, alias) {
      if (alias.resolve(document) === node) {
        aliased = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return aliased;
}

/**
 * Resolves `selector` to one scalar (status 'found'), or a creatable missing key path (status 'missing', only when
 * `allowMissing`); throws a UserError otherwise.
 */
export function resolveSelector(locator: Locator, selector: Selector, allowMissing: boolean): Found | Missing {
  const parsed = locator.parsed;
  const sel = `\`${selector.text}\``;
  let candidates: number[] = [];
  parsed.documents.forEach((document, index) => {
    if (document.contents !== null) candidates.push(index);
  });
  if (selector.document !== undefined) {
    const wanted = selector.document;
    const identities = candidates.map((index) => ({ index, id: documentIdentity(parsed.documents[index] as Document.Parsed) }));
    const matching = identities.filter((c) => c.id?.kind === wanted.kind && c.id.name === wanted.name).map((c) => c.index);
    if (matching.length === 0) {
      const known = identities.flatMap((c) => (c.id === undefined ? [] : [`${c.id.kind}/${c.id.name}`]));
      throw locator.error(
        `${sel}: ${parsed.file} has no document with kind ${wanted.kind} and metadata.name ${wanted.name}${didYouMean(`${wanted.kind}/${wanted.name}`, known)}; its documents are ${listNames(known)}.`,
        undefined,
      );
    }
    if (matching.length > 1) {
      throw locator.error(
        `${sel} is ambiguous: ${parsed.file} has ${matching.length} documents ${wanted.kind}/${wanted.name} (${matching.map((i) => describeDocument(parsed, i)).join(', ')}); edit the file by hand.`,
        undefined,
      );
    }
    candidates = matching;
  }
  if (candidates.length === 0) {
    throw locator.error(`${sel} does not exist in ${parsed.file}: the file has no content.`, undefined);
  }
  const attempts = candidates.map((index) => attemptInDocument(locator, selector, index));
  const found = attempts.filter((a): a is Found => a.status === 'found');
  if (found.length === 1) return found[0] as Found;
  if (found.length > 1) {
    throw locator.error(
      `${sel} is ambiguous in ${parsed.file}: it exists in ${found.map((f) => describeDocument(parsed, f.documentIndex)).join(' and ')}; prefix it with (Kind/name) to pick one, e.g. (${exampleFilter(parsed, found[0] as Found)}).${selector.text}.`,
      undefined,
    );
  }
  const failures = attempts as Array<Missing | Failed>;
  const deepest = Math.max(...failures.map((a) => a.depth));
  const best = failures.filter((a) => a.depth === deepest);
  const first = best[0] as Missing | Failed;
  if (allowMissing && first.status === 'missing') {
    if (best.length > 1) {
      throw locator.error(
        `${sel} does not exist in ${parsed.file}, and create-missing cannot tell which document to add it to (${best.map((b) => describeDocument(parsed, b.documentIndex)).join(', ')}); prefix the selector with (Kind/name).`,
        undefined,
      );
    }
    if (first.keys.length === 0) {
      const base = first.error();
      throw new UserError(`${base.message.replace(/\.$/, '')}; create-missing adds map keys only, never list items.`, {
        location: base.location ?? { file: parsed.file },
      });
    }
    return first;
  }
  throw first.error();
}

function exampleFilter(parsed: ParsedFile, found: Found): string {
  const id = documentIdentity(parsed.documents[found.documentIndex] as Document.Parsed);
  return id === undefined ? 'Kind/name' : `${id.kind}/${id.name}`;
}
