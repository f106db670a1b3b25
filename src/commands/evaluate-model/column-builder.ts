/** Typed columns built row by row, shared by the predictions readers, and the messages about bad values. */
import { inputRef, UserError } from '../../lib/errors.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { NEWLINE, type ColumnRequest, type PredictionsFormat, type PredictionsSource, type PredictionsTable, type TextColumn } from './source.ts';

interface Slot {
  request: ColumnRequest;
  numbers: Float64Array | Uint8Array | undefined;
  codes: Int32Array | undefined;
  dictionary: Map<string, number> | undefined;
  values: string[] | undefined;
  /** A flag column with a positive label: the two values seen. */
  twoClasses: TwoClasses | undefined;
}

/** The labels of a flag column read against a positive label, as first written and in canonical form. */
interface TwoClasses {
  positive: string;
  positiveSeen: boolean;
  /** The one other label, once seen. */
  negative: { canonical: string; written: string } | undefined;
}

/** The words a flag column reads without a positive label (pandas writes booleans as True / False). */
const FLAG_WORDS: ReadonlyMap<string, number> = new Map([
  ['true', 1],
  ['false', 0],
  ['yes', 1],
  ['no', 0],
]);

/** A label in the form two spellings of the same label share: `1.0` -> `1`, `True` -> `true`, text as written. */
function canonicalLabel(text: string): string {
  const number = numberFromText(text);
  if (number !== undefined && Number.isFinite(number)) return String(number);
  const lowered = text.toLowerCase();
  return lowered === 'true' || lowered === 'false' ? lowered : text;
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
        ? { request, numbers: undefined, codes: new Int32Array(this.capacity), dictionary: new Map(), values: [], twoClasses: undefined }
        : {
            request,
            numbers: request.kind === 'flag' ? new Uint8Array(this.capacity) : new Float64Array(this.capacity),
            codes: undefined,
            dictionary: undefined,
            values: undefined,
            twoClasses:
              request.kind === 'flag' && request.positive !== undefined
                ? { positive: canonicalLabel(request.positive), positiveSeen: false, negative: undefined }
                : undefined,
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
      throw this.valueError(line, slot.request, 'NaN', 'which is not a number; drop or fill in the rows without a value.');
    }
    if (value === Infinity || value === -Infinity) {
      throw this.valueError(line, slot.request, raw(), 'which is not a finite number; every value must be a finite number.');
    }
    const problem = rangeProblem(slot.request, value);
    if (problem !== undefined) throw this.valueError(line, slot.request, raw(), problem);
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

  /** Stores a field written as text, whatever the column's kind (the csv-parse path and the scanner's slow path). */
  setField(slotIndex: number, text: string, line: number): void {
    const kind = (this.slots[slotIndex] as Slot).request.kind;
    if (kind === 'text') this.setText(slotIndex, text.trim(), line);
    else if (kind === 'flag') this.setFlagText(slotIndex, text, line);
    else this.setNumberText(slotIndex, text, line);
  }

  /**
   * A flag written as text: against the positive label when there is one; else 0 or 1 as a number (other numbers are
   * refused with `outOfRange`), or true/false, yes/no in any case.
   */
  setFlagText(slotIndex: number, text: string, line: number): void {
    const slot = this.slots[slotIndex] as Slot;
    const trimmed = text.trim();
    if (trimmed === '') throw this.emptyError(line, slot.request);
    if (slot.twoClasses !== undefined) {
      (slot.numbers as Uint8Array)[this.rows] = this.twoClassFlag(slot, slot.twoClasses, trimmed, line);
      return;
    }
    const number = numberFromText(trimmed);
    if (number !== undefined) {
      this.setNumber(slotIndex, number, () => trimmed, line);
      return;
    }
    const flag = FLAG_WORDS.get(trimmed.toLowerCase());
    if (flag === undefined) {
      throw this.valueError(line, slot.request, JSON.stringify(trimmed), slot.request.notAFlag ?? 'which is neither 0 nor 1.');
    }
    (slot.numbers as Uint8Array)[this.rows] = flag;
  }

  private twoClassFlag(slot: Slot, classes: TwoClasses, text: string, line: number): number {
    const canonical = canonicalLabel(text);
    if (canonical === classes.positive) {
      classes.positiveSeen = true;
      return 1;
    }
    if (classes.negative === undefined) classes.negative = { canonical, written: text };
    else if (classes.negative.canonical !== canonical && !classes.positiveSeen) {
      // Two labels and neither is the positive one: the positive label is misspelt, not the data.
      throw new UserError(
        `The column "${slot.request.name}" of ${this.source.display} has the labels "${classes.negative.written}" and "${text}" (by line ${line}), neither of which is the positive label "${slot.request.positive ?? ''}" named by ${inputRef('positive-label')}; set ${inputRef('positive-label')} to the label of the positive class as the file writes it.`,
        { input: 'positive-label', location: { file: this.source.display, line } },
      );
    } else if (classes.negative.canonical !== canonical) {
      throw this.valueError(
        line,
        slot.request,
        JSON.stringify(text),
        `a third label besides "${slot.request.positive ?? ''}" (${inputRef('positive-label')}) and "${classes.negative.written}"; a binary task has two classes, use task multiclass for more.`,
      );
    }
    return 0;
  }

  /** Parses a number written as text (the csv-parse and JSON Lines paths, and the scanner's slow path). */
  setNumberText(slotIndex: number, text: string, line: number): void {
    const slot = this.slots[slotIndex] as Slot;
    const trimmed = text.trim();
    if (trimmed === '') throw this.emptyError(line, slot.request);
    const value = numberFromText(trimmed);
    if (value === undefined) {
      throw this.valueError(line, slot.request, JSON.stringify(text), `which is not a number; write ${slot.request.name} values as plain decimal numbers such as 0.73.`);
    }
    this.setNumber(slotIndex, value, () => trimmed, line);
  }

  emptyError(line: number, request: ColumnRequest): UserError {
    return new UserError(
      `Line ${line} of ${this.source.display} has no value in column "${request.name}"; fill it in or drop the row, as every row needs one.`,
      { input: 'predictions', location: { file: this.source.display, line } },
    );
  }

  valueError(line: number, request: ColumnRequest, shown: string, problem: string): UserError {
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
    for (const slot of this.slots) {
      if (slot.twoClasses !== undefined && !slot.twoClasses.positiveSeen) {
        const other = slot.twoClasses.negative === undefined ? '' : ` (its only label is "${slot.twoClasses.negative.written}")`;
        throw new UserError(
          `The column "${slot.request.name}" of ${this.source.display} never has the positive label "${slot.request.positive ?? ''}" named by ${inputRef('positive-label')}${other}; set ${inputRef('positive-label')} to the label of the positive class as the file writes it.`,
          { input: 'positive-label', location: { file: this.source.display } },
        );
      }
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

/**
 * Why a header read as one column holds several names: a tab-separated file named `.csv`, or a European-locale export
 * (Excel, pandas with `sep=';'`) separated by semicolons.
 */
function separatorHint(name: string): string {
  if (name.includes('\t')) return ' (separated by tabs: name the file .tsv, or write it with commas)';
  const other = [';', '|'].find((character) => name.includes(character));
  return other === undefined ? '' : ` (separated by "${other}", which CSV does not use: write the file with commas, or tabs as TSV)`;
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
      const separator = header.length === 1 ? separatorHint(header[0] ?? '') : '';
      throw new UserError(
        `The predictions file ${source.display} has no column "${request.name}" (named by ${inputRef(request.input)})${didYouMean(request.name, header)}; its columns are ${found}${separator}.`,
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
