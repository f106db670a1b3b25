/**
 * From the columns read to the metrics' input: binary labels and scores, regression numbers, and multiclass labels
 * encoded into one class index space shared by the labels and both models' predictions.
 *
 * Multiclass labels compare as numbers when every label and prediction is a number, whatever the format: `1` and
 * `1.0` are one class, as pandas reads a numeric column and scikit-learn compares it. Otherwise they compare as text.
 */
import type { PredictionData, Task } from '../../lib/metrics/index.ts';
import type { ReportClasses } from '../../lib/evaluation-report.ts';
import { numberFromText } from './column-builder.ts';
import type { Columns } from './columns.ts';
import type { SliceInput } from './decide.ts';
import type { PredictionsTable, TextColumn } from './source.ts';

export interface ModelData {
  candidate: PredictionData;
  champion: PredictionData | undefined;
  slices: SliceInput | undefined;
  /** Multiclass only: how the classes compared and which predicted classes never occur as labels. */
  classes: ReportClasses | undefined;
}

export function predictionData(task: Task, table: PredictionsTable, columns: Columns, threshold: number): ModelData {
  const weights = columns.weight === undefined ? undefined : table.numbers.get(columns.weight);
  const withWeights = weights === undefined ? {} : { weights };
  const sliceColumn = columns.slice === undefined ? undefined : table.texts.get(columns.slice);
  const slices = sliceColumn === undefined ? undefined : { values: sliceColumn.values, codes: sliceColumn.codes };
  if (task === 'binary') {
    const labels = table.flags.get(columns.label) as Uint8Array;
    const model = (scores: Float64Array | undefined): PredictionData | undefined =>
      scores === undefined ? undefined : { task: 'binary', labels, scores, threshold, ...withWeights };
    return { candidate: model(table.numbers.get(columns.candidate)) as PredictionData, champion: model(table.numbers.get(columns.champion)), slices, classes: undefined };
  }
  if (task === 'regression') {
    const labels = table.numbers.get(columns.label) as Float64Array;
    const model = (predictions: Float64Array | undefined): PredictionData | undefined =>
      predictions === undefined ? undefined : { task: 'regression', labels, predictions, ...withWeights };
    return { candidate: model(table.numbers.get(columns.candidate)) as PredictionData, champion: model(table.numbers.get(columns.champion)), slices, classes: undefined };
  }
  const labelColumn = table.texts.get(columns.label) as TextColumn;
  const candidateColumn = table.texts.get(columns.candidate) as TextColumn;
  const championColumn = table.texts.get(columns.champion);
  const present = [labelColumn, candidateColumn, ...(championColumn === undefined ? [] : [championColumn])];
  const comparedAs = present.every((column) => column.values.every(isNumeric)) ? 'numbers' : 'text';
  const key = comparedAs === 'numbers' ? (value: string): string => String(Number(value)) : (value: string): string => value;
  // Labels first, so a class is named as the labels write it.
  const classes = new Map<string, number>();
  const names: string[] = [];
  const encode = (column: TextColumn): Int32Array => {
    const mapping = Int32Array.from(column.values, (value) => {
      const classKey = key(value);
      let index = classes.get(classKey);
      if (index === undefined) {
        index = classes.size;
        classes.set(classKey, index);
        names.push(value);
      }
      return index;
    });
    return Int32Array.from(column.codes, (code) => mapping[code] as number);
  };
  const labels = encode(labelColumn);
  const labelled = classes.size;
  const candidate = encode(candidateColumn);
  const champion = championColumn === undefined ? undefined : encode(championColumn);
  const classCount = classes.size;
  // Classes first met after the labels never occur as a label.
  const notLabelled = (column: TextColumn | undefined): string[] =>
    column === undefined ? [] : [...new Set(column.values.map((value) => classes.get(key(value)) as number))].filter((index) => index >= labelled).map((index) => names[index] as string);
  return {
    candidate: { task: 'multiclass', labels, predictions: candidate, classCount, ...withWeights },
    champion: champion === undefined ? undefined : { task: 'multiclass', labels, predictions: champion, classCount, ...withWeights },
    slices,
    classes: {
      comparedAs,
      labels: names.slice(0, labelled),
      predictedNotLabelled: { candidate: notLabelled(candidateColumn), champion: notLabelled(championColumn) },
    },
  };
}

function isNumeric(value: string): boolean {
  const number = numberFromText(value.trim());
  return number !== undefined && Number.isFinite(number);
}
