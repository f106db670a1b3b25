/**
 * Selectors name one scalar in a YAML file: `a.b[0].c`, `images[name=web].newTag`, `metadata.annotations."x.io/y"`,
 * optionally prefixed by `(Kind/name)` to pick a document of a multi-document file.
 */

export type Segment =
  | { kind: 'key'; key: string; start: number; end: number }
  | { kind: 'index'; index: number; start: number; end: number }
  | { kind: 'match'; field: string; value: string; start: number; end: number };

export interface DocumentFilter {
  kind: string;
  name: string;
}

export interface Selector {
  /** The selector as written. */
  text: string;
  document: DocumentFilter | undefined;
  segments: Segment[];
  /** Offset in `text` where the path (after the document filter) starts. */
  pathStart: number;
}

/** A malformed selector; `column` is 1-based within the selector text. Callers turn it into a UserError. */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
  readonly column: number;
  readonly reason: string;

  constructor(reason: string, column: number) {
    super(`${reason} at column ${column}`);
    this.reason = reason;
    this.column = column;
  }
}

/** Reads a double-quoted string starting at `start` (the opening quote); `\"` and `\\` are escapes. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '"') return { value, end: i + 1 };
    value += ch;
    i += 1;
  }
  throw new SelectorSyntaxError('unclosed double quote', start + 1);
}

/** Index of the `]` closing the bracket opened at `start`, skipping double-quoted parts. */
function findClosingBracket(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i = readQuoted(text, i).end;
      continue;
    }
    if (ch === ']') return i;
    if (ch === '[') throw new SelectorSyntaxError('"[" inside brackets (quote the value)', i + 1);
    i += 1;
  }
  throw new SelectorSyntaxError('unclosed "["', start + 1);
}

/** `field=value` inside brackets, each side bare or double-quoted. */
function parseMatch(text: string, start: number, end: number): { field: string; value: string } {
  let i = start;
  let field: string;
  if (text[i] === '"') {
    const quoted = readQuoted(text, i);
    field = quoted.value;
    i = quoted.end;
    if (text[i] !== '=') throw new SelectorSyntaxError('expected "=" after the quoted field name', i + 1);
  } else {
    const eq = text.indexOf('=', i);
    if (eq === -1 || eq >= end) {
      throw new SelectorSyntaxError(`expected a list index [N] or an item match [field=value] in "${text.slice(start - 1, end + 1)}"`, start);
    }
    field = text.slice(i, eq).trim();
    i = eq;
  }
  if (field === '') throw new SelectorSyntaxError('empty field name before "="', start + 1);
  i += 1; // past '='
  const rest = text.slice(i, end).trim();
  let value = rest;
  if (rest.startsWith('"')) {
    const offset = i + text.slice(i, end).indexOf('"');
    const quoted = readQuoted(text, offset);
    if (text.slice(quoted.end, end).trim() !== '') {
      throw new SelectorSyntaxError('unexpected text after the quoted value', quoted.end + 1);
    }
    value = quoted.value;
  }
  return { field, value };
}

export function parseSelector(text: string): Selector {
  let i = 0;
  let document: DocumentFilter | undefined;
  if (text.startsWith('(')) {
    const close = text.indexOf(')');
    if (close === -1) throw new SelectorSyntaxError('unclosed "(" of the (Kind/name) document filter', 1);
    const inner = text.slice(1, close);
    const slash = inner.indexOf('/');
    const kind = slash === -1 ? '' : inner.slice(0, slash).trim();
    const name = slash === -1 ? '' : inner.slice(slash + 1).trim();
    if (kind === '' || name === '') {
      throw new SelectorSyntaxError(`document filter "(${inner})" must be (Kind/name), e.g. (Deployment/web)`, 1);
    }
    document = { kind, name };
    i = close + 1;
    if (text[i] === '.') i += 1;
    else if (i < text.length && text[i] !== '[') {
      throw new SelectorSyntaxError('expected "." after the (Kind/name) document filter', i + 1);
    }
  }
  const pathStart = i;
  const segments: Segment[] = [];
  let expectKey = true; // at the start or after '.', a key (or a bracket at the very start) must follow
  if (i >= text.length) throw new SelectorSyntaxError('empty selector path', i + 1);
  while (i < text.length) {
    const ch = text[i];
    if (ch === '[') {
      if (expectKey && segments.length > 0) throw new SelectorSyntaxError('expected a key after "."', i + 1);
      const close = findClosingBracket(text, i);
      const inner = text.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) {
        segments.push({ kind: 'index', index: Number(inner), start: i, end: close + 1 });
      } else if (inner === '') {
        throw new SelectorSyntaxError('empty brackets (write [N] or [field=value])', i + 1);
      } else {
        const { field, value } = parseMatch(text, i + 1, close);
        segments.push({ kind: 'match', field, value, start: i, end: close + 1 });
      }
      i = close + 1;
      expectKey = false;
    } else if (ch === '.') {
      if (expectKey) throw new SelectorSyntaxError('empty key', i + 1);
      i += 1;
      expectKey = true;
      if (i >= text.length) throw new SelectorSyntaxError('selector ends with "."', i);
    } else {
      if (!expectKey) throw new SelectorSyntaxError('expected "." or "[" between path parts', i + 1);
      if (ch === '"') {
        const quoted = readQuoted(text, i);
        segments.push({ kind: 'key', key: quoted.value, start: i, end: quoted.end });
        i = quoted.end;
      } else {
        let end = i;
        while (end < text.length && text[end] !== '.' && text[end] !== '[') {
          const c = text[end];
          if (c === '"' || c === ']') {
            throw new SelectorSyntaxError(`unexpected '${c}' in a key (wrap keys containing ". [ = or spaces" in double quotes)`, end + 1);
          }
          end += 1;
        }
        const key = text.slice(i, end);
        if (key.trim() === '') throw new SelectorSyntaxError('empty key', i + 1);
        segments.push({ kind: 'key', key, start: i, end });
        i = end;
      }
      expectKey = false;
    }
  }
  return { text, document, segments, pathStart };
}

/** The selector text up to and including segment `count - 1` (without the document filter), for messages. */
export function pathText(selector: Selector, count: number): string {
  if (count <= 0) return '';
  const last = selector.segments[count - 1];
  return last === undefined ? '' : selector.text.slice(selector.pathStart, last.end);
}

/** How to write `key` as one selector segment (quoted when it holds characters the grammar uses). */
export function keySegment(key: string): string {
  return /^[^.[\]"= ]+$/.test(key) && !key.startsWith('(') ? key : JSON.stringify(key);
}
