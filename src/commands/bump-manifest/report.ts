/** What a run shows: the unified diff of the planned edits and the job summary. */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { Plan } from './plan.ts';

/** The unified diff (`--- a/file`, `+++ b/file`) of every file the plan changes; empty when nothing changes. */
export function unifiedDiff(plan: Plan): string {
  return plan.files
    .filter((file) => file.changed)
    .map((file) =>
      createTwoFilesPatch(`a/${file.relativePath}`, `b/${file.relativePath}`, file.before, file.after, undefined, undefined, {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      }),
    )
    .join('');
}

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
