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
  dryRun: boolean;
}

export function rollbackSummary(report: RollbackReport): string {
  const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
  const rows: string[][] = [
    ['Model', code(report.model)],
    ['Environment', code(report.environment)],
    ['From → to', `${code(report.from)} → ${code(report.to)}`],
    ['Reason', report.reason ?? '—'],
    [
      'Commit',
      report.dryRun
        ? 'dry run: nothing written'
        : report.commit === undefined
          ? '—'
          : `${code(report.commit.slice(0, 12))} on ${code(report.branch)}${report.commitStatus === 'pushed' ? '' : ' (already there)'}`,
    ],
    [
      'Alias',
      report.alias === undefined ? '—' : `${code(report.alias)} ${report.aliasDone ? `→ ${report.to}${report.aliasMoved ? '' : ' (already)'}` : 'not moved'}`,
    ],
    ['Bad version tagged', report.tagDone ? `ml-gitops.rolled-back=true on ${report.from}${report.tagged ? '' : ' (already)'}` : 'no'],
    ['Registry', report.registryLocation ?? '—'],
    ['Argo CD', report.argocd],
  ];
  return [`### rollback: ${report.model} ${report.from} → ${report.to} in ${report.environment}`, '', markdownTable(['', ''], rows), ''].join('\n');
}
