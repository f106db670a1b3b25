/** The job summary of `evaluate-model`: a verdict line, the reason, the metrics table and the slices. */
import { markdownTable } from '../../lib/report.ts';
import { metricDirection } from './decide.ts';
import { formatSigned, formatValue, intervalText, passVerdict, ruleText, ruleVerdict, type EvaluationReport } from '../../lib/evaluation-report.ts';

/** One row per rule, then one per metric no rule mentions. */
function metricRows(report: EvaluationReport): string[][] {
  const rows: string[][] = [];
  for (const rule of report.rules) {
    rows.push([
      rule.metric,
      formatValue(rule.champion),
      formatValue(rule.candidate),
      rule.improvement === null ? '' : formatSigned(rule.improvement),
      intervalText(rule),
      `${ruleText(rule)} (${rule.id})`,
      ruleVerdict(rule),
    ]);
  }
  const ruled = new Set(report.rules.map((rule) => rule.metric));
  const championMetrics = report.champion?.metrics ?? {};
  const names = [...Object.keys(report.candidate.metrics), ...Object.keys(championMetrics).filter((name) => !(name in report.candidate.metrics))];
  for (const name of names) {
    if (ruled.has(name)) continue;
    const candidate = report.candidate.metrics[name];
    const champion = championMetrics[name];
    const sign = metricDirection(report.task, name) === 'higher' ? 1 : -1;
    const improvement =
      typeof candidate === 'number' && typeof champion === 'number' ? formatSigned(sign * (candidate - champion)) : '';
    rows.push([name, report.champion === null ? '' : formatValue(champion), formatValue(candidate), improvement, '', '', 'reported']);
  }
  return rows;
}

export function summaryMarkdown(report: EvaluationReport): string {
  const icon = report.decision === 'promote' ? '✅' : '❌';
  const champion =
    report.champion === null
      ? report.missingChampion
        ? `no champion yet (${report.missingChampion.modelUri} does not exist)`
        : 'no champion'
      : `champion from ${report.champion.source === 'registry' ? `the registry (${report.champion.modelUri ?? ''}${report.champion.version ? `, version ${report.champion.version}` : ''})` : report.champion.source === 'metrics-file' ? 'a metrics file' : 'the predictions'}`;
  const parts = [
    `### evaluate-model: ${icon} ${report.decision}`,
    '',
    report.reason,
    '',
    ...(report.warnings ?? []).flatMap((warning) => [`> ⚠️ ${warning}`, '']),
    `${report.task} task, ${report.rows} rows from \`${report.predictions.file}\`, ${champion}${report.significance ? `, paired bootstrap of ${report.significance.resamples} resamples (seed ${report.significance.seed})` : ''}.`,
    '',
    markdownTable(['metric', 'champion', 'candidate', 'improvement', 'interval', 'rule', 'verdict'], metricRows(report)),
  ];
  if (report.slices.length > 0) {
    const rows = report.slices.map((slice) => {
      const failed = slice.rules.filter((rule) => !rule.passed);
      return [
        slice.value,
        String(slice.rows),
        slice.status === 'skipped' ? '➖ skipped (too few rows)' : passVerdict(slice.passed === true),
        failed.map((rule) => `${rule.id}: ${rule.explanation}`).join('\n'),
      ];
    });
    parts.push('', `#### Slices by \`${report.sliceColumn ?? ''}\``, '', markdownTable(['slice', 'rows', 'verdict', 'failed rules'], rows));
  }
  return `${parts.join('\n')}\n`;
}
