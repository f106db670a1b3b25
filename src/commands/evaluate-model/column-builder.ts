/** Typed columns built row by row, shared by the predictions readers, and the messages about bad values. */
import { UserError } from '../../lib/errors.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { NEWLINE } from './line-blocks.ts';

export type PredictionsFormat = 'csv' | 'tsv' | 'jsonl';

export interface ColumnRequest {
  /** Column name in the file. */
  name: string;
  /** Numbers become a Float64Array, flags (0 or 1) a Uint8Array; text is dictionary-encoded. */
  kind: 'number' | 'flag' | 'text';
  /** The action input that named the column, for messages. */
  input: string;
  /** An absent optional column is no error (the champion column). */
  optional?: boolean;
  /** Numbers (and flags) below `min` or above `max` are refused with `outOfRange`. Flags are always 0 or 1. */
  min?: number;
  max?: number;
  /**
   * The end of the sentence for a value out of range (or a flag other than 0/1), for example
   * `"but a binary task needs labels 0 or 1."`.
   */
  outOfRange?: string;
}

export interface TextColumn {
  /** Per row, the index of its value in `values`. */
  codes: Int32Array;
  /** The distinct values, in order of first appearance. */
  values: string[];
}

export interface PredictionsTable {
  /** The file as the user named it. */
  file: string;
  format: PredictionsFormat;
  gzip: boolean;
  /** Every column name found in the file. */
  columns: string[];
  rows: number;
  numbers: Map<string, Float64Array>;
  flags: Map<string, Uint8Array>;
  texts: Map<string, TextColumn>;
}

/** `path` is what is opened; `display` what messages call it (the input as written). */
export interface PredictionsSource {
  path: string;
  display: string;
}

interface Slot {
  request: ColumnRequest;
  numbers: Float64Array | Uint8Array | undefined;
  codes: Int32Array | undefined;
  dictionary: Map<string, number> | undefined;
  values: string[] | undefined;
}

export class ColumnBuilder {
  readonly source: PredictionsSource;
  readonly slots: Slot[];
  rows = 0;
  /** Rows the column arrays hold before `ensureRow` grows them. */
  capacity: number;

  constructor(source: PredictionsSource, present: readonly ColumnRequest[], capacity: number) {
    this.source = source;
    this.capacity = Math.max(1024, capacity);
    this.slots = present.map((request) =>
      request.kind === 'text'
        ? { request, numbers: undefined, codes: new Int32Array(this.capacity), dictionary: new Map(), values: [] }
        : {
            request,
            numbers: request.kind === 'flag' ? new Uint8Array(this.capacity) : new Float64Array(this.capacity),
            codes: undefined,
            dictionary: undefined,
            values: undefined,
          },
    );
  }

  /** Makes room for one more row; true when the column arrays were replaced. */
  ensureRow(): boolean {
    if (this.rows < this.capacity) return false;
    // 1.5x: while growing, the old and the new arrays (2.5x the old size) are alive together, not 3x.
    this.capacity = Math.ceil(this.capacity * 1.5);
    for (const slot of this.slots) {
      if (slot.numbers) {
        const grown = slot.numbers instanceof Uint8Array ? new Uint8Array(this.capacity) : new Float64Array(this.capacity);
        grown.set(slot.numbers);
        slot.numbers = grown;
      } else if (slot.codes) {
        const grown = new Int32Array(this.capacity);
        grown.set(slot.codes);
        slot.codes = grown;
      }
    }
    return true;
  }

  setNumber(slotIndex: number, value: number, raw: () => string, line: number): void {
    const slot = this.slots[slotIndex] as Slot;
    if (value !== value) {
      throw this.valueError(line, slot.request, raw(), 'NaN', 'which is not a number; drop or fill in the rows without a value.');
    }
    if (value === Infinity || value === -Infinity) {
      throw this.valueError(line, slot.request, raw(), raw(), 'which is not a finite number; every value must be a finite number.');
    }
    const problem = rangeProblem(slot.request, value);
    if (problem !== undefined) throw this.valueError(line, slot.request, raw(), raw(), problem);
    (slot.numbers as Float64Array | Uint8Array)[this.rows] = value;
  }

  setText(slotIndex: number, text: string, line: number): void {
    const slot = this.slots[slotIndex] as Slot;
    if (text === '') throw this.emptyError(line, slot.request);
    const dictionary = slot.dictionary as Map<string, number>;
    let code = dictionary.get(text);
    if (code === undefined) {
      code = (slot.values as string[]).length;
      dictionary.set(text, code);
      (slot.values as string[]).push(text);
    }
    (slot.codes as Int32Array)[this.rows] = code;
  }

  /** Parses a number written as text (the csv-parse and JSON Lines paths, and the scanner's slow path). */
  setNumberText(slotIndex: number, text: string, line: number): void {
    const slot = this.slots[slotIndex] as Slot;
    const trimmed = text.trim();
    if (trimmed === '') throw this.emptyError(line, slot.request);
    const value = numberFromText(trimmed);
    if (value === undefined) {
      throw this.valueError(line, slot.request, text, JSON.stringify(text), `which is not a number; write ${slot.request.name} values as plain decimal numbers such as 0.73.`);
    }
    this.setNumber(slotIndex, value, () => trimmed, line);
  }

  emptyError(line: number, request: ColumnRequest): UserError {
    return new UserError(
      `Line ${line} of ${this.source.display} has no value in column "${request.name}"; fill it in or drop the row, as every row needs one.`,
      { input: 'predictions', location: { file: this.source.display, line } },
    );
  }

  valueError(line: number, request: ColumnRequest, _raw: string, shown: string, problem: string): UserError {
    return new UserError(`Line ${line} of ${this.source.display} has ${shown} in column "${request.name}", ${problem}`, {
      input: 'predictions',
      location: { file: this.source.display, line },
    });
  }

  finish(format: PredictionsFormat, gzip: boolean, columns: string[]): PredictionsTable {
    if (this.rows === 0) {
      throw new UserError(
        `The predictions file ${this.source.display} has a header but no rows; it needs one row per held-out example.`,
        { input: 'predictions', location: { file: this.source.display, line: 1 } },
      );
    }
    const numbers = new Map<string, Float64Array>();
    const flags = new Map<string, Uint8Array>();
    const texts = new Map<string, TextColumn>();
    for (const slot of this.slots) {
      if (slot.numbers instanceof Uint8Array) flags.set(slot.request.name, slot.numbers.subarray(0, this.rows));
      else if (slot.numbers) numbers.set(slot.request.name, slot.numbers.subarray(0, this.rows));
      else texts.set(slot.request.name, { codes: (slot.codes as Int32Array).subarray(0, this.rows), values: slot.values as string[] });
    }
    return { file: this.source.display, format, gzip, columns, rows: this.rows, numbers, flags, texts };
  }
}

/** Why a column refuses a number, or undefined when it accepts it. */
function rangeProblem(request: ColumnRequest, value: number): string | undefined {
  const inRange =
    request.kind === 'flag'
      ? value === 0 || value === 1
      : (request.min === undefined || value >= request.min) && (request.max === undefined || value <= request.max);
  if (inRange) return undefined;
  if (request.outOfRange !== undefined) return request.outOfRange;
  if (request.kind === 'flag') return 'which is neither 0 nor 1.';
  return `outside [${request.min ?? '-inf'}, ${request.max ?? 'inf'}].`;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal literal (or NaN / inf spellings, which the caller refuses with their own message), else undefined. */
export function numberFromText(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const lowered = text.toLowerCase().replace(/^[+-]/, '');
  if (lowered === 'nan') return Number.NaN;
  if (lowered === 'inf' || lowered === 'infinity') return text.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** Finds each requested column in the header; a missing one is an error unless optional. */
export function matchColumns(
  source: PredictionsSource,
  header: readonly string[],
  requests: readonly ColumnRequest[],
): { present: ColumnRequest[]; indexes: number[] } {
  const present: ColumnRequest[] = [];
  const indexes: number[] = [];
  for (const request of requests) {
    const index = header.indexOf(request.name);
    if (index === -1) {
      if (request.optional) continue;
      const found = header.map((name) => `"${name}"`).join(', ');
      throw new UserError(
        `The predictions file ${source.display} has no column "${request.name}" (named by the ${request.input} input)${didYouMean(request.name, header)}; its columns are ${found}.`,
        { input: request.input, location: { file: source.display, line: 1 } },
      );
    }
    present.push(request);
    indexes.push(index);
  }
  return { present, indexes };
}

export function countNewlines(buffer: Buffer): number {
  let count = 0;
  let at = buffer.indexOf(NEWLINE);
  while (at !== -1) {
    count++;
    at = buffer.indexOf(NEWLINE, at + 1);
  }
  return count;
}

export function shortRowError(source: PredictionsSource, line: number, fields: number, headerFields: number): UserError {
  return new UserError(
    `Line ${line} of ${source.display} has ${fields} field${fields === 1 ? '' : 's'} where the header has ${headerFields}; every row needs a value in each column.`,
    { input: 'predictions', location: { file: source.display, line } },
  );
}
