/**
 * Replacing the content of a block scalar (`|`, `>`) while keeping its header (style, chomping) and indentation.
 */
import type { Scalar } from 'yaml';
import { hasNonPrintable } from './scalar-style.ts';

export type BlockRender =
  | { ok: true; start: number; end: number; text: string; loaded: string }
  | { ok: false; reason: string };

/** Spaces at the start of the line containing `offset`. */
function lineIndent(source: string, offset: number): number {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  let i = lineStart;
  while (source[i] === ' ') i += 1;
  return i - lineStart;
}

/**
 * New content for the block scalar `node` (whose CST token content is `content`) holding `value`. The chomping
 * indicator decides the final line break, as before: with `|` or `>` the loaded value is `value` plus one "\n" (a
 * value already ending in one "\n" is taken as is), with `|-`/`>-` it is `value` exactly, with `|+`/`>+` it is
 * `value` plus "\n" unless it already ends with one.
 */
export function renderBlockContent(source: string, node: Scalar, content: string, value: string, eol: string): BlockRender {
  const range = node.range;
  if (range === undefined || range === null) return { ok: false, reason: 'it has no source position' };
  const end = range[1];
  const start = end - content.length;
  if (source.slice(start, end) !== content) return { ok: false, reason: 'its content could not be located' };
  const header = source.slice(range[0], start);
  const match = /^([|>])([1-9]?)([+-]?)([1-9]?)/.exec(header);
  if (match === null) return { ok: false, reason: 'its header could not be read' };
  const folded = match[1] === '>';
  if ((match[2] ?? '') !== '' || (match[4] ?? '') !== '') {
    return { ok: false, reason: 'it has an explicit indentation indicator' };
  }
  const chomping = match[3] ?? '';
  let body = value;
  if (chomping === '-' && body.endsWith('\n')) {
    return { ok: false, reason: 'the value ends with a line break, which the "-" chomping indicator strips' };
  }
  if (chomping !== '-' && body.endsWith('\n')) body = body.slice(0, -1);
  if (chomping === '' && body.endsWith('\n')) {
    return { ok: false, reason: 'the value ends with several line breaks, which the block scalar clips to one' };
  }
  if (hasNonPrintable(body) || body.includes('\r')) return { ok: false, reason: 'the value holds control characters' };
  const lines = body === '' ? [] : body.split('\n');
  const firstText = lines.find((line) => line !== '');
  if (firstText !== undefined && /^[ \t]/.test(firstText)) {
    return { ok: false, reason: 'the value starts with white space, which would change the block indentation' };
  }
  if (lines.some((line) => line !== '' && line.trim() === '')) {
    return { ok: false, reason: 'the value has lines of only white space' };
  }
  if (folded && lines.length > 1) {
    return { ok: false, reason: 'a folded (">") block scalar turns single line breaks into spaces' };
  }
  const existing = /^( *)[^ \r\n]/m.exec(content);
  const indent = existing?.[1]?.length ?? lineIndent(source, range[0]) + 2;
  const pad = ' '.repeat(indent);
  let text = lines.map((line) => (line === '' ? eol : pad + line + eol)).join('');
  // A block scalar at the end of a file without a final newline stays without one.
  if (content !== '' && !content.endsWith('\n') && text.endsWith(eol)) text = text.slice(0, -eol.length);
  const loaded = body === '' ? '' : chomping === '-' ? body : `${body}\n`;
  return { ok: true, start, end, text, loaded };
}
