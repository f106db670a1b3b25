/** The job summary of bump-manifest: one row per edit and what happened to the commit. */
import type { Plan } from '../../lib/manifest/index.ts';

export interface SummaryFacts {
  readonly plan: Plan;
  readonly dryRun: boolean;
  readonly sha: string | undefined;
  readonly attempts: number;
  readonly status: 'dry-run' | 'written' | 'committed' | 'pushed' | 'up-to-date';
  readonly target: { remote: string; branch: string } | undefined;
}

function cell(value: string | null): string {
  if (value === null) return '*(new)*';
  const escaped = value.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ');
  return `\`${escaped === '' ? ' ' : escaped}\``;
}

export function summaryMarkdown(facts: SummaryFacts): string {
  const rows = facts.plan.files.flatMap((file) =>
    file.edits.map((edit) => `| ${cell(file.relativePath)} | ${cell(edit.selector)} | ${cell(edit.previous)} | ${cell(edit.value)} | ${edit.changed ? 'changed' : 'already set'} |`),
  );
  const where = facts.target ? ` to \`${facts.target.remote}/${facts.target.branch}\`` : '';
  const attempts = `${facts.attempts} attempt${facts.attempts === 1 ? '' : 's'}`;
  const outcome: Record<SummaryFacts['status'], string> = {
    'dry-run': 'Dry run: nothing was written.',
    written: 'Files written; nothing committed (`commit: false`).',
    committed: `Committed \`${facts.sha ?? ''}\` locally (\`push: false\`).`,
    pushed: `Committed \`${facts.sha ?? ''}\` and pushed it${where} after ${attempts}.`,
    'up-to-date': `Every target already had its value; nothing to commit (checked in ${attempts}).`,
  };
  return [
    '### bump-manifest',
    '',
    '| File | Selector | Previous | New | |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    outcome[facts.status],
    '',
  ].join('\n');
}
