/**
 * The shapes the predictions readers share: what is read (a source, the requested columns) and what comes out (the
 * typed table). Kept apart from the readers so that none of them imports another for a type.
 */

/** Line feed, the byte every reader splits rows on. */
export const NEWLINE = 0x0a;

export type PredictionsFormat = 'csv' | 'tsv' | 'jsonl';

export interface ColumnRequest {
  /** Column name in the file. */
  name: string;
  /**
   * Numbers become a Float64Array, flags a Uint8Array (0 or 1, or the words true/false and yes/no in any case, or
   * `positive` against any one other value); text is dictionary-encoded.
   */
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
  /**
   * Flags: the value that reads as 1 (the positive class); every other value reads as 0, and at most one other value
   * may occur. Numbers compare as numbers (`1` = `1.0`), true/false in any case.
   */
  positive?: string;
  /** Flags: the end of the sentence for a word that is no flag, e.g. advice to set the positive label. */
  notAFlag?: string;
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
