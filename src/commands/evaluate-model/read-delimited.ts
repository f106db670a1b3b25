/**
 * CSV and TSV. A body without any `"` is read by a byte scanner: per RFC 4180 a field that holds a delimiter, a quote
 * or a line break must be quoted, so in a body without quotes every delimiter ends a field and every line break a row,
 * and a split is the whole grammar. A file with quotes is read by csv-parse, which handles quoting.
 */
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { UserError } from '../../lib/errors.ts';
import { ColumnBuilder, countNewlines, matchColumns, shortRowError } from './column-builder.ts';
import { lineBlocks } from './line-blocks.ts';
import { NEWLINE, type ColumnRequest, type PredictionsFormat, type PredictionsSource, type PredictionsTable } from './source.ts';

const QUOTE = 0x22;
const DOT = 0x2e;
const CARRIAGE_RETURN = 0x0d;

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The value `scanNumber` read, or NaN when the fast path cannot decide it exactly. */
let scanned = 0;

/**
 * Reads the decimal literal that starts at `start` (`[+-]digits[.digits][(e|E)[+-]digits]`) and returns where it
 * stops; the value goes to `scanned`, NaN when the literal is not one the fast path converts exactly (digits beyond
 * 2^53, an exponent beyond ±22, no digits). The caller checks that the literal fills the field.
 */
function scanNumber(bytes: Buffer, start: number, end: number): number {
  let at = start;
  let negative = false;
  const byte = bytes[at];
  if (byte === 0x2d) {
    negative = true;
    at++;
  } else if (byte === 0x2b) {
    at++;
  }
  let mantissa = 0;
  let exponent = 0;
  let digits = 0;
  while (at < end) {
    const digit = (bytes[at] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    mantissa = mantissa * 10 + digit;
    digits++;
    at++;
  }
  if (at < end && bytes[at] === 0x2e) {
    at++;
    while (at < end) {
      const digit = (bytes[at] as number) - 0x30;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
      exponent--;
      digits++;
      at++;
    }
  }
  if (at < end && (bytes[at] === 0x65 || bytes[at] === 0x45)) {
    at++;
    let exponentNegative = false;
    if (bytes[at] === 0x2d) {
      exponentNegative = true;
      at++;
    } else if (bytes[at] === 0x2b) {
      at++;
    }
    let written = 0;
    let exponentDigits = 0;
    while (at < end) {
      const digit = (bytes[at] as number) - 0x30;
      if (digit < 0 || digit > 9) break;
      if (written < 100_000) written = written * 10 + digit;
      exponentDigits++;
      at++;
    }
    if (exponentDigits === 0) digits = 0;
    exponent += exponentNegative ? -written : written;
  }
  // Once the digits exceed 2^53 they may have been rounded (and stay above it): only smaller mantissas are exact.
  if (digits === 0 || mantissa > Number.MAX_SAFE_INTEGER) scanned = Number.NaN;
  else if (exponent === 0) scanned = negative ? -mantissa : mantissa;
  else if (exponent > 0 && exponent <= 22) scanned = (negative ? -mantissa : mantissa) * (POWERS_OF_TEN[exponent] as number);
  else if (exponent < 0 && exponent >= -22) scanned = (negative ? -mantissa : mantissa) / (POWERS_OF_TEN[-exponent] as number);
  else scanned = Number.NaN;
  return at;
}

function splitHeader(line: string, delimiter: string): string[] {
  const records = parseCsvSync(line, { delimiter, relax_quotes: true, bom: true }) as string[][];
  return (records[0] ?? []).map((name) => name.trim());
}

/** Reads with the byte scanner; `'quoted'` when the file has a `"` and needs csv-parse. */
export async function readDelimitedFast(
  source: PredictionsSource,
  requests: readonly ColumnRequest[],
  delimiter: string,
  sizeHint: number | undefined,
  format: PredictionsFormat,
  gzip: boolean,
): Promise<PredictionsTable | 'quoted'> {
  const delimiterByte = delimiter.charCodeAt(0);
  let columns: string[] = [];
  let builder: ColumnBuilder | undefined;
  let slotOfField = new Int32Array(0);
  let neededFields = 0;
  let fieldCount = 0;
  let isNumber: boolean[] = [];
  let lows = new Float64Array(0);
  let highs = new Float64Array(0);
  let isFlag: boolean[] = [];
  let arrays: (Float64Array | Uint8Array | undefined)[] = [];
  let line = 0;
  for await (const bytes of lineBlocks(source, gzip)) {
    if (bytes.indexOf(QUOTE) !== -1) return 'quoted';
    let lineStart = 0;
    const end = bytes.length;
    if (builder === undefined) {
      // The first block starts with the header.
      const newline = bytes.indexOf(NEWLINE);
      const headerEnd = newline === -1 ? end : newline;
      columns = splitHeader(bytes.toString('utf8', 0, headerEnd).replace(/\r$/, ''), delimiter);
      const { present, indexes } = matchColumns(source, columns, requests);
      const sampleLines = countNewlines(bytes) - 1;
      const rowsEstimate =
        sizeHint === undefined || sampleLines <= 0 ? 1 << 16 : Math.ceil(((sizeHint - headerEnd) / ((end - headerEnd) / sampleLines)) * 1.01) + 16;
      builder = new ColumnBuilder(source, present, rowsEstimate);
      slotOfField = new Int32Array(columns.length).fill(-1);
      indexes.forEach((fieldIndex, slot) => (slotOfField[fieldIndex] = slot));
      neededFields = Math.max(...indexes, -1) + 1;
      fieldCount = columns.length;
      // A flag read against a positive label is compared as text, on the slow path.
      isNumber = present.map((request) => request.kind === 'number' || (request.kind === 'flag' && request.positive === undefined));
      lows = Float64Array.from(present, (request) => (request.kind === 'flag' ? 0 : (request.min ?? -Infinity)));
      highs = Float64Array.from(present, (request) => (request.kind === 'flag' ? 1 : (request.max ?? Infinity)));
      isFlag = present.map((request) => request.kind === 'flag');
      arrays = builder.slots.map((slot) => slot.numbers);
      line = 1;
      lineStart = headerEnd + 1;
    }
    // One pass over the bytes: a delimiter ends a field, a line break ends the field and the row (a CR before it is
    // dropped), and the end of the block counts as a line break.
    let at = lineStart;
    // The row count and capacity live in locals in this loop; the builder's count is brought up to date before each
    // call into it.
    let row = builder.rows;
    let capacity = builder.capacity;
    while (at < end) {
      line++;
      let first = bytes[at] as number;
      if (first === CARRIAGE_RETURN && at + 1 < end && bytes[at + 1] === NEWLINE) first = NEWLINE;
      if (first === NEWLINE) {
        // A blank line.
        at += bytes[at] === CARRIAGE_RETURN ? 2 : 1;
        continue;
      }
      if (row === capacity) {
        builder.rows = row;
        builder.ensureRow();
        arrays = builder.slots.map((slot) => slot.numbers);
        capacity = builder.capacity;
      }
      let field = 0;
      let fieldStart = at;
      for (;;) {
        const slot = field < fieldCount ? (slotOfField[field] as number) : -1;
        let stored = false;
        if (slot !== -1 && isNumber[slot]) {
          // Read the number while scanning; it counts when it fills the field. The usual literal, up to 15 digits with
          // an optional fraction (exact as mantissa / 10^k, the value scanNumber gives it), is read right here.
          let stop = at;
          let mantissa = 0;
          let digits = 0;
          let fractionDigits = 0;
          while (stop < end) {
            const digit = (bytes[stop] as number) - 0x30;
            if (digit < 0 || digit > 9) break;
            mantissa = mantissa * 10 + digit;
            digits++;
            stop++;
          }
          if (stop < end && bytes[stop] === DOT) {
            stop++;
            while (stop < end) {
              const digit = (bytes[stop] as number) - 0x30;
              if (digit < 0 || digit > 9) break;
              mantissa = mantissa * 10 + digit;
              digits++;
              fractionDigits++;
              stop++;
            }
          }
          let next = stop < end ? (bytes[stop] as number) : NEWLINE;
          let value: number;
          if (digits > 0 && digits <= 15 && (next === delimiterByte || next === NEWLINE || next === CARRIAGE_RETURN)) {
            value = fractionDigits === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fractionDigits] as number);
          } else {
            stop = scanNumber(bytes, at, end);
            value = scanned;
            next = stop < end ? (bytes[stop] as number) : NEWLINE;
          }
          const fills = next === delimiterByte || next === NEWLINE || (next === CARRIAGE_RETURN && (stop + 1 >= end || bytes[stop + 1] === NEWLINE));
          // Within its bounds (a flag: exactly 0 or 1) it is stored; anything else takes the slow path, which reports it.
          const inRange = value >= (lows[slot] as number) && value <= (highs[slot] as number) && (!isFlag[slot] || value === 0 || value === 1);
          if (fills && inRange) {
            (arrays[slot] as Float64Array | Uint8Array)[row] = value;
            stored = true;
            at = stop;
          }
        }
        while (at < end) {
          const byte = bytes[at] as number;
          if (byte === delimiterByte || byte === NEWLINE) break;
          at++;
        }
        const terminator = at < end ? (bytes[at] as number) : NEWLINE;
        if (slot !== -1 && !stored) {
          let fieldEnd = at;
          if (terminator === NEWLINE && fieldEnd > fieldStart && bytes[fieldEnd - 1] === CARRIAGE_RETURN) fieldEnd--;
          // The slow path: long numbers, NaN, text, or a value the column refuses (which it reports).
          builder.rows = row;
          builder.setField(slot, bytes.toString('utf8', fieldStart, fieldEnd), line);
        }
        field++;
        at++;
        if (terminator === NEWLINE) break;
        fieldStart = at;
      }
      if (field < neededFields) throw shortRowError(source, line, field, columns.length);
      row++;
    }
    builder.rows = row;
  }
  if (builder === undefined) throw new UserError(`The predictions file ${source.display} has no header.`, { input: 'predictions', location: { file: source.display } });
  return builder.finish(format, gzip, columns);
}

/** Reads a file with quoting through csv-parse. */
export async function readDelimitedQuoted(
  source: PredictionsSource,
  open: () => Readable,
  requests: readonly ColumnRequest[],
  delimiter: string,
  sizeHint: number | undefined,
  format: PredictionsFormat,
  gzip: boolean,
): Promise<PredictionsTable> {
  const parser = open().pipe(parseCsv({ delimiter, bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
  let builder: ColumnBuilder | undefined;
  let columns: string[] = [];
  let indexes: number[] = [];
  let neededFields = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (builder === undefined) {
        columns = record.map((name) => name.trim());
        const matched = matchColumns(source, columns, requests);
        indexes = matched.indexes;
        neededFields = Math.max(...indexes, -1) + 1;
        builder = new ColumnBuilder(source, matched.present, sizeHint === undefined ? 1 << 16 : Math.ceil(sizeHint / 16));
        continue;
      }
      const line = info.lines;
      if (record.length < neededFields) throw shortRowError(source, line, record.length, columns.length);
      builder.ensureRow();
      for (let slot = 0; slot < indexes.length; slot++) {
        builder.setField(slot, record[indexes[slot] as number] as string, line);
      }
      builder.rows++;
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const csvError = error as { code?: string; lines?: number; message?: string };
    const line = csvError.lines;
    throw new UserError(
      `${source.display}${line === undefined ? '' : ` line ${line}`} is not valid ${format.toUpperCase()}: ${String(csvError.message ?? error).replace(/\.$/, '')}.`,
      { input: 'predictions', location: { file: source.display, ...(line === undefined ? {} : { line }) } },
    );
  } finally {
    parser.destroy();
  }
  if (builder === undefined) throw new UserError(`The predictions file ${source.display} has no header.`, { input: 'predictions', location: { file: source.display } });
  return builder.finish(format, gzip, columns);
}
