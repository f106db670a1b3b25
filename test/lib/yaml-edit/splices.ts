import { expect } from 'vitest';
import { parseAllDocuments, visit } from 'yaml';
import type { EditResult } from '../../../src/lib/yaml-edit/index.ts';

/** [start, end) of every scalar of `input`, from a parse independent of the editor's. */
function scalarRanges(input: string): Array<[number, number, boolean]> {
  const ranges: Array<[number, number, boolean]> = [];
  for (const document of Array.from(parseAllDocuments(input))) {
    visit(document, {
      Scalar(_, node) {
        if (node.range) ranges.push([node.range[0], node.range[1], node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED']);
      },
    });
  }
  return ranges;
}

/**
 * Asserts that every character outside the result's splices is the input's, that the splices rebuild the output,
 * and that each replaced range is exactly one scalar of the input (a block scalar's content) or an insertion point.
 */
export function expectOnlySplicedBytesChanged(input: string, result: EditResult): void {
  const scalars = scalarRanges(input);
  let cursor = 0;
  let outputCursor = 0;
  let rebuilt = '';
  for (const splice of result.splices) {
    expect(splice.start).toBeGreaterThanOrEqual(cursor);
    expect(splice.end).toBeGreaterThanOrEqual(splice.start);
    if (splice.end > splice.start) {
      const isScalar = scalars.some(([start, end, block]) =>
        block ? end === splice.end && start < splice.start : start === splice.start && end === splice.end,
      );
      expect(isScalar, `splice ${splice.start}-${splice.end} is not one scalar of the input`).toBe(true);
    }
    const untouched = input.slice(cursor, splice.start);
    expect(result.text.slice(outputCursor, outputCursor + untouched.length)).toBe(untouched);
    outputCursor += untouched.length + splice.text.length;
    rebuilt += untouched + splice.text;
    cursor = splice.end;
  }
  expect(result.text.slice(outputCursor)).toBe(input.slice(cursor));
  expect(rebuilt + input.slice(cursor)).toBe(result.text);
}
