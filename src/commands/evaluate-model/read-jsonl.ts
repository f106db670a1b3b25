/** JSON Lines: one JSON object per line; numbers may be JSON numbers or numeric strings. */
import { UserError } from '../../lib/errors.ts';
import { ColumnBuilder, matchColumns } from './column-builder.ts';
import { lineBlocks } from './line-blocks.ts';
import { NEWLINE, type ColumnRequest, type PredictionsSource, type PredictionsTable } from './source.ts';

export async function readJsonLines(
  source: PredictionsSource,
  requests: readonly ColumnRequest[],
  sizeHint: number | undefined,
  gzip: boolean,
): Promise<PredictionsTable> {
  let builder: ColumnBuilder | undefined;
  let columns: string[] = [];
  let line = 0;
  const handleLine = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new UserError(
        `Line ${line} of ${source.display} is not valid JSON (${(error as Error).message}); JSON Lines needs one object per line.`,
        { input: 'predictions', location: { file: source.display, line } },
      );
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new UserError(`Line ${line} of ${source.display} is not a JSON object; JSON Lines needs one object per line.`, {
        input: 'predictions',
        location: { file: source.display, line },
      });
    }
    const fields = record as Record<string, unknown>;
    if (builder === undefined) {
      columns = Object.keys(fields);
      const matched = matchColumns(source, columns, requests);
      builder = new ColumnBuilder(source, matched.present, sizeHint === undefined ? 1 << 16 : Math.ceil(sizeHint / 40));
    }
    builder.ensureRow();
    builder.slots.forEach((slot, index) => {
      const value = fields[slot.request.name];
      const owner = builder as ColumnBuilder;
      if (value === undefined || value === null || value === '') throw owner.emptyError(line, slot.request);
      if (slot.request.kind === 'flag' && (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')) {
        // JSON booleans and numbers are flags as their text is.
        owner.setFlagText(index, String(value), line);
      } else if (slot.request.kind === 'number') {
        if (typeof value === 'number') owner.setNumber(index, value, () => String(value), line);
        else if (typeof value === 'string') owner.setNumberText(index, value, line);
        else throw owner.valueError(line, slot.request, JSON.stringify(value), 'which is not a number.');
      } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        owner.setText(index, String(value), line);
      } else {
        throw owner.valueError(line, slot.request, JSON.stringify(value), 'which is not a class label; labels are strings or numbers.');
      }
    });
    builder.rows++;
  };
  for await (const bytes of lineBlocks(source, gzip)) {
    let start = 0;
    while (start < bytes.length) {
      let newline = bytes.indexOf(NEWLINE, start);
      if (newline === -1) newline = bytes.length;
      handleLine(bytes.toString('utf8', start, newline).replace(/^\uFEFF/, ''));
      start = newline + 1;
    }
  }
  if (builder === undefined) {
    throw new UserError(`The predictions file ${source.display} has no records; JSON Lines needs one object per line.`, {
      input: 'predictions',
      location: { file: source.display },
    });
  }
  return builder.finish('jsonl', gzip, columns);
}
