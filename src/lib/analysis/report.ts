/**
 * The analysis in the job summary: an overview table, then per metric its query, a table of its measurements and a
 * small Mermaid chart. GitHub renders ```mermaid blocks; the chart keeps to the `xychart-beta` syntax GitHub's
 * Mermaid knows (title, `x-axis [..]`, `y-axis "name" min --> max`, `line [..]`), one line for the values and one
 * per threshold.
 */
import { markdownTable } from '../report.ts';
import { formatNumber, type AnalysisResult, type MetricMeasurements } from './run.ts';

const VERDICT_MARK: Record<string, string> = {
  successful: '✅ successful',
  failed: '❌ failed',
  inconclusive: '⚠️ inconclusive',
  error: '❌ error',
};

function verdictText(verdict: string, dryRun = false): string {
  return `${VERDICT_MARK[verdict] ?? verdict}${dryRun ? ' (dry run)' : ''}`;
}

/** `12:00:31` (UTC): measurements of one window differ in their time of day only. */
function clockTime(iso: string): string {
  return iso.slice(11, 19);
}

/** Mermaid's quoted strings end at a double quote, and a line break would end the statement. */
function mermaidText(text: string): string {
  return text.replace(/["\r\n]/g, (c) => (c === '"' ? "'" : ' '));
}

/** Numbers of a Mermaid line: plain decimals (no exponent, no NaN). */
function mermaidNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** Threshold values of a metric, for the chart's reference lines. */
function thresholds(metric: MetricMeasurements): { label: string; value: number }[] {
  const found: { label: string; value: number }[] = [];
  if (metric.bounds?.min !== undefined) found.push({ label: 'min', value: metric.bounds.min });
  if (metric.bounds?.max !== undefined) found.push({ label: 'max', value: metric.bounds.max });
  return found;
}

/**
 * A Mermaid xychart of the metric's values over the window, with its thresholds as flat lines; undefined when no
 * measurement has a number to draw.
 */
export function metricChart(metric: MetricMeasurements): string | undefined {
  const points = metric.values.filter((m): m is typeof m & { value: number } => m.value !== null);
  if (points.length === 0) return undefined;
  const limits = thresholds(metric);
  const all = [...points.map((p) => p.value), ...limits.map((l) => l.value)];
  let low = Math.min(...all);
  let high = Math.max(...all);
  const pad = high === low ? Math.max(Math.abs(high) * 0.1, 1) : (high - low) * 0.1;
  low -= pad;
  high += pad;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "${mermaidText(metric.name)}"`,
    `  x-axis [${points.map((p) => `"${clockTime(p.time)}"`).join(', ')}]`,
    `  y-axis "${mermaidText(metric.name)}" ${mermaidNumber(low)} --> ${mermaidNumber(high)}`,
    `  line [${points.map((p) => mermaidNumber(p.value)).join(', ')}]`,
    ...limits.map((limit) => `  line [${points.map(() => mermaidNumber(limit.value)).join(', ')}]`),
    '```',
  ];
  return lines.join('\n');
}

/** The measurements of one metric as a table: number, time, value, verdict of each. */
export function metricTable(metric: MetricMeasurements): string {
  const rows = metric.values.map((m, index) => [
    String(index + 1),
    m.time,
    m.values !== undefined ? m.values.map(formatNumber).join(', ') : m.phase === 'error' ? '—' : formatNumber(m.value),
    `${verdictText(m.phase)}${m.message === undefined ? '' : `: ${m.message}`}`,
  ]);
  return markdownTable(['#', 'time', 'value', 'result'], rows);
}

/** The whole analysis for a job summary. */
export function renderAnalysisReport(result: AnalysisResult, options: { title?: string } = {}): string {
  const parts: string[] = [`### ${options.title ?? 'Post-deployment analysis'}: ${verdictText(result.result)}`];
  if (result.failure !== undefined) parts.push(`${result.failure}.`);
  if (result.result === 'inconclusive') parts.push(result.passed ? 'The analysis lets an inconclusive result pass.' : 'The analysis fails an inconclusive result.');
  parts.push(
    markdownTable(
      ['metric', 'threshold', 'values', 'verdict'],
      result.measurements.map((metric) => [
        metric.name,
        metric.threshold,
        metric.values.length === 0 ? '—' : metric.values.map((m) => (m.phase === 'error' ? 'error' : formatNumber(m.value))).join(', '),
        `${verdictText(metric.verdict, metric.dryRun)} (${metric.values.length} of ${metric.count})`,
      ]),
    ),
  );
  for (const metric of result.measurements) {
    parts.push(`#### ${metric.name}: ${verdictText(metric.verdict, metric.dryRun)}`);
    parts.push(`Query: \`${metric.query.replace(/`/g, "'").replace(/\s*\n\s*/g, ' ')}\` · threshold: ${metric.threshold}`);
    if (metric.values.length > 0) parts.push(metricTable(metric));
    const chart = metricChart(metric);
    if (chart !== undefined) parts.push(chart);
  }
  return `${parts.join('\n\n')}\n`;
}
