/**
 * The body of a promotion PR: the user's own text, and a generated section between hidden markers that every run
 * replaces (model, versions, environment, the evaluation table, the manifest diff, the run link). Text outside the
 * markers is never touched. The begin marker also names model and environment, so a newer promotion finds the PRs it
 * supersedes by marker (and label), never by title. GitHub refuses bodies over 65,536 characters: the diff is cut
 * first, with a note; the evaluation table never is.
 */
import { formatSigned, formatValue, intervalText, ruleText, ruleVerdict, type EvaluationReport } from '../evaluation-report.ts';
import { escapeCell, markdownTable } from '../report.ts';

export const BODY_LIMIT = 65_536;
const END_MARKER = '<!-- /ml-gitops:promotion -->';
const BEGIN_PATTERN = /<!-- ml-gitops:promotion ([^>]*?) -->/;
/** The run link changes with every run; a section that differs only there is not rewritten. */
const RUN_LINE = /^\*\*Run:\*\* .*$/m;

export interface PromotionFacts {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly previousVersion: string | undefined;
  readonly environment: string;
  readonly base: string;
  readonly branch: string;
  /** Unified diff of the manifest change; undefined when not known (head-branch mode). */
  readonly diff: string | undefined;
  readonly evaluation: EvaluationReport | undefined;
  readonly runUrl: string | undefined;
  readonly rollbackOf?: string | undefined;
  readonly reason?: string | undefined;
}

export interface PromotionMarker {
  readonly model: string;
  readonly environment: string;
  readonly version: string | undefined;
}

function beginMarker(facts: PromotionFacts): string {
  const part = (key: string, value: string) => `${key}=${encodeURIComponent(value)}`;
  return `<!-- ml-gitops:promotion ${part('model', facts.modelName)} ${part('environment', facts.environment)} ${part('version', facts.modelVersion)} -->`;
}

/** The model and environment a body's marker names; undefined when the body has no promotion section. */
export function readMarker(body: string): PromotionMarker | undefined {
  const match = BEGIN_PATTERN.exec(body);
  if (match === null) return undefined;
  const fields = new Map(
    (match[1] ?? '').split(/\s+/).flatMap((pair) => {
      const index = pair.indexOf('=');
      if (index < 0) return [];
      try {
        return [[pair.slice(0, index), decodeURIComponent(pair.slice(index + 1))] as const];
      } catch {
        return [];
      }
    }),
  );
  const model = fields.get('model');
  const environment = fields.get('environment');
  if (model === undefined || environment === undefined) return undefined;
  return { model, environment, version: fields.get('version') };
}

const code = (value: string): string => `\`${value.replace(/`/g, "'")}\``;

/** Table cells show a missing metric as a dash. */
const cell = (value: number | null | undefined): string => formatValue(value, '–');

/** The evidence: verdict, then one row per rule and one per metric no rule mentions (champion, candidate, delta). */
export function evaluationSection(report: EvaluationReport): string {
  const rows: string[][] = report.rules.map((rule) => [
    code(rule.metric),
    cell(rule.champion),
    cell(rule.candidate),
    rule.improvement === null ? '' : formatSigned(rule.improvement),
    intervalText(rule),
    ruleText(rule),
    ruleVerdict(rule),
  ]);
  const ruled = new Set(report.rules.map((rule) => rule.metric));
  const champion = report.champion?.metrics ?? {};
  for (const name of [...new Set([...Object.keys(report.candidate.metrics), ...Object.keys(champion)])]) {
    if (ruled.has(name)) continue;
    const candidateValue = report.candidate.metrics[name];
    const championValue = champion[name];
    const delta = typeof candidateValue === 'number' && typeof championValue === 'number' ? formatSigned(candidateValue - championValue) : '';
    rows.push([code(name), report.champion === null ? '' : cell(championValue), cell(candidateValue), delta, '', '', 'reported']);
  }
  const icon = report.decision === 'promote' ? '✅' : '❌';
  const failedSlices = report.slices.filter((slice) => slice.passed === false).map((slice) => code(slice.value));
  return [
    `### Evaluation: ${icon} ${report.decision}`,
    '',
    escapeCell(report.reason),
    '',
    `${report.task.charAt(0).toUpperCase()}${report.task.slice(1)} task, ${report.rows.toLocaleString('en-US')} rows${report.champion === null ? ', no champion' : ''}.`,
    '',
    markdownTable(['metric', 'champion', 'candidate', 'delta', 'interval', 'rule', 'verdict'], rows),
    ...(report.slices.length > 0
      ? ['', `Slices by ${code(report.sliceColumn ?? '')}: ${report.slices.length} evaluated${failedSlices.length > 0 ? `, failed: ${failedSlices.join(', ')}` : ', none failed'}.`]
      : []),
  ].join('\n');
}

function diffBlock(diff: string): string {
  const fence = diff.includes('```') ? '~~~~' : '```';
  return `<details open><summary>Manifest diff</summary>\n\n${fence}diff\n${diff.replace(/\n$/, '')}\n${fence}\n\n</details>`;
}

/** The generated section, diff included as given. */
function section(facts: PromotionFacts, diff: string | undefined, note: string | undefined): string {
  const version = facts.previousVersion === undefined ? code(facts.modelVersion) : `${code(facts.previousVersion)} → ${code(facts.modelVersion)}`;
  const heading = facts.rollbackOf === undefined ? `## Promote ${code(facts.modelName)} to ${code(facts.environment)}` : `## Roll back ${code(facts.modelName)} in ${code(facts.environment)}`;
  const parts = [
    beginMarker(facts),
    heading,
    '',
    markdownTable(
      ['', ''],
      [
        ['**Model**', code(facts.modelName)],
        ['**Version**', version],
        ['**Environment**', code(facts.environment)],
        ['**Branch**', `${code(facts.branch)} → ${code(facts.base)}`],
        ...(facts.reason === undefined ? [] : [['**Reason**', facts.reason]]),
      ],
    ),
    '',
    // A rollback is not judged by an evaluation: its evidence is the reason above.
    ...(facts.evaluation !== undefined ? [evaluationSection(facts.evaluation), ''] : facts.rollbackOf === undefined ? ['_No evaluation report was given._', ''] : []),
    diff === undefined ? '_The change is on the head branch: see the Files changed tab._' : diff === '' ? '_No manifest change._' : diffBlock(diff),
    ...(note === undefined ? [] : ['', `> ${note}`]),
    '',
    `**Run:** ${facts.runUrl === undefined ? 'not run in GitHub Actions' : `[workflow run](${facts.runUrl})`}`,
    '',
    `<sub>Generated by ml-gitops ${facts.rollbackOf === undefined ? 'open-promotion-pr' : 'rollback'}: edits between the markers are replaced on the next run; text outside them is kept.</sub>`,
    END_MARKER,
  ];
  return parts.join('\n');
}

/** `existing` with its generated section replaced by `generated` (appended when it has none). */
function splice(existing: string, generated: string): string {
  const begin = BEGIN_PATTERN.exec(existing);
  const end = existing.indexOf(END_MARKER);
  if (begin === null || end < begin.index) {
    const text = existing.replace(/\s+$/, '');
    return text === '' ? generated : `${text}\n\n${generated}`;
  }
  return `${existing.slice(0, begin.index)}${generated}${existing.slice(end + END_MARKER.length)}`;
}

/**
 * The body to send: `existing` (the PR's current body, or the user's text on creation) with the generated section, cut
 * to GitHub's limit (the diff first, never the table). Throws when even without the diff the body is too long.
 */
export function promotionBody(existing: string, facts: PromotionFacts): { body: string; truncated: boolean } {
  const full = splice(existing, section(facts, facts.diff, undefined));
  if (full.length <= BODY_LIMIT || facts.diff === undefined || facts.diff === '') return { body: full, truncated: false };
  const lines = facts.diff.split('\n');
  const withoutDiff = splice(existing, section(facts, '', undefined));
  // Room for the diff's fence and details tags and the truncation note.
  const budget = BODY_LIMIT - withoutDiff.length - 400;
  let kept = 0;
  let used = 0;
  while (kept < lines.length && used + (lines[kept] as string).length + 1 <= budget) used += (lines[kept++] as string).length + 1;
  const note = `The diff is cut to fit GitHub's 65,536 character limit (${kept} of ${lines.length} lines shown): see the Files changed tab for all of it.`;
  return { body: splice(existing, section(facts, lines.slice(0, kept).join('\n'), note)), truncated: true };
}

/** True when two bodies differ only in the run link of the generated section (no need to rewrite the PR). */
export function sameBody(a: string, b: string): boolean {
  return a.replace(RUN_LINE, '').replace(/\r\n/g, '\n') === b.replace(RUN_LINE, '').replace(/\r\n/g, '\n');
}
