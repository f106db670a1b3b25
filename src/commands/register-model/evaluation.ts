/**
 * What `register-model` takes from `evaluate-model`'s JSON report (read and validated by evaluate-model's own
 * reader): the decision and the candidate's metrics become tags, the rules table becomes part of the description.
 */
import path from 'node:path';
import { readEvaluationReport, type EvaluationReport } from '../../lib/evaluation-report.ts';
import { markdownTable } from '../../lib/report.ts';
import { EVALUATION_DECISION_TAG, metricTag } from '../../lib/registry/tags.ts';

export interface EvaluationTags {
  decision: string;
  tags: Record<string, string>;
  /** The decision, its reason and the rules table as markdown, for the version description. */
  descriptionMarkdown: string;
}

/** Reads the report at `reportPath` (relative to the workspace). */
export async function readReport(reportPath: string, workspace: string): Promise<EvaluationReport> {
  return readEvaluationReport(path.resolve(workspace, reportPath), reportPath, 'evaluation-report');
}

/** `evaluation.decision`, `metric.<name>` per candidate metric with a value, and the description text. */
export function evaluationTags(report: EvaluationReport): EvaluationTags {
  const tags: Record<string, string> = { [EVALUATION_DECISION_TAG]: report.decision };
  for (const [metric, value] of Object.entries(report.candidate.metrics)) {
    if (value !== null && Number.isFinite(value)) tags[metricTag(metric)] = String(value);
  }
  const heading = `Evaluation: **${report.decision}**. ${report.reason}`;
  return {
    decision: report.decision,
    tags,
    descriptionMarkdown: report.rules.length === 0 ? heading : `${heading}\n\n${rulesTable(report)}`,
  };
}

function rulesTable(report: EvaluationReport): string {
  const number = (value: number | null): string => (value === null ? '—' : String(value));
  return markdownTable(
    ['Rule', 'Metric', 'Kind', 'Threshold', 'Candidate', 'Champion', 'Passed'],
    report.rules.map((rule) => [
      rule.id,
      rule.metric,
      rule.kind,
      String(rule.threshold),
      number(rule.candidate),
      number(rule.champion),
      rule.passed ? 'yes' : 'no',
    ]),
  );
}
