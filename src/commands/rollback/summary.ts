/** The job summary of a rollback: from → to, why, the commit, the alias move, the Argo CD result. */
import { markdownTable } from '../../lib/report.ts';

export interface RollbackReport {
  model: string;
  environment: string;
  from: string;
  to: string;
  reason: string | undefined;
  branch: string;
  commit: string | undefined;
  /** `pushed` by this run; `unchanged` when an earlier attempt (or the manifests) already held the values. */
  commitStatus: 'pushed' | 'unchanged';
  alias: string | undefined;
  /** This run moved the alias. */
  aliasMoved: boolean;
  /** The alias points at `to` now (moved by this run or an earlier one). */
  aliasDone?: boolean;
  /** This run tagged the bad version. */
  tagged: boolean;
  tagDone?: boolean;
  registryLocation: string | undefined;
  argocd: string;
  /** Per app, how it was rolled back (`argocd-rollback`). */
  argocdNotes?: string[];
  dryRun: boolean;
  mode: 'push' | 'pull-request';
  /** `mode: pull-request`, until the rollback is in the branch: the rollback PR. */
  pullRequest?: { number: number; url: string; operation: 'created' | 'updated' | 'unchanged' | 'closed'; branch: string; superseded: number[] };
}

const PR_OPERATION: Record<NonNullable<RollbackReport['pullRequest']>['operation'], string> = {
  created: 'opened',
  updated: 'updated',
  unchanged: 'already up to date: nothing written',
  closed: 'closed',
};

export function rollbackSummary(report: RollbackReport): string {
  const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
  const pr = report.pullRequest;
  const waitsFor = pr === undefined ? '' : `waits for the merge of #${pr.number}`;
  const rows: string[][] = [
    ['Model', code(report.model)],
    ['Environment', code(report.environment)],
    ['From → to', `${code(report.from)} → ${code(report.to)}`],
    ['Reason', report.reason ?? '—'],
    [
      'Commit',
      report.dryRun
        ? `dry run: nothing written${report.mode === 'pull-request' ? ' (a run would open a rollback pull request)' : ''}`
        : pr !== undefined
          ? `in pull request [#${pr.number}](${pr.url}) (${code(pr.branch)} → ${code(report.branch)}): ${PR_OPERATION[pr.operation]}${pr.superseded.length > 0 ? `; superseded ${pr.superseded.map((n) => `#${n}`).join(', ')}` : ''}`
          : report.commit === undefined
          ? '—'
          : `${code(report.commit.slice(0, 12))} on ${code(report.branch)}${report.commitStatus === 'pushed' ? '' : ' (already there)'}`,
    ],
    [
      'Alias',
      report.alias === undefined
        ? '—'
        : `${code(report.alias)} ${report.aliasDone ? `→ ${report.to}${report.aliasMoved ? '' : ' (already)'}` : pr === undefined ? 'not moved' : `not moved yet: ${waitsFor}, then run rollback again`}`,
    ],
    ['Bad version tagged', report.tagDone ? `ml-gitops.rolled-back=true on ${report.from}${report.tagged ? '' : ' (already)'}` : 'no'],
    ['Registry', report.registryLocation ?? '—'],
    ['Argo CD', [report.argocd, ...(report.argocdNotes ?? [])].join('; ')],
  ];
  const next =
    pr === undefined
      ? []
      : [
          `The rollback waits for review in [#${pr.number}](${pr.url}); the bad version is already tagged, so no promotion brings it back meanwhile. After merging, run rollback again with the same inputs: it moves the alias${report.argocdNotes?.length ? ' and waits for Argo CD' : ''}.`,
          '',
        ];
  return [`### rollback: ${report.model} ${report.from} → ${report.to} in ${report.environment}`, '', markdownTable(['', ''], rows), '', ...next].join('\n');
}
