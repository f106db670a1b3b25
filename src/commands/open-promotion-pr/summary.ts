/** The job summary of open-promotion-pr and its GITHUB_TOKEN warning. */
import { inputRef } from '../../lib/errors.ts';
import type { GitHubRequestEvent } from '../../lib/github/index.ts';
import type { PromotionOutcome } from '../../lib/promotion-pr/index.ts';
import { markdownTable } from '../../lib/report.ts';

export const TOKEN_WARNING =
  `The token is the workflow's GITHUB_TOKEN: pull requests and commits it creates start no workflow runs, so required checks never start on the promotion PR. Pass a GitHub App installation token (actions/create-github-app-token) or a personal access token in ${inputRef('token')} instead.`;

const OPERATION_TEXT: Record<PromotionOutcome['operation'], string> = {
  created: 'opened',
  updated: 'updated',
  unchanged: 'already up to date: nothing was written',
  closed: 'closed: the base branch already holds every value',
};

export function summaryMarkdown(outcome: PromotionOutcome, requests: readonly GitHubRequestEvent[], repository: string): string {
  const pr = outcome.pullRequest;
  const head = pr === undefined ? `No pull request in ${repository}: ${OPERATION_TEXT[outcome.operation]}.` : `[#${pr.number}](${pr.url}) (\`${outcome.branch}\` → \`${outcome.base}\`): ${OPERATION_TEXT[outcome.operation]}.`;
  const byCall = new Map<string, { count: number; write: boolean }>();
  for (const request of requests) {
    const name = request.operationName === undefined ? `${request.method} ${request.route}` : `GraphQL ${request.operationName}`;
    const entry = byCall.get(name) ?? { count: 0, write: request.write };
    entry.count++;
    byCall.set(name, entry);
  }
  const writes = requests.filter((request) => request.write).length;
  const parts = [
    '### open-promotion-pr',
    '',
    head,
    '',
    ...(outcome.changes.length > 0 ? ['Changed since the last run:', '', ...outcome.changes.map((change) => `- ${change}`), ''] : []),
    ...(outcome.superseded.length > 0 ? [`Superseded: ${outcome.superseded.map((n) => `#${n}`).join(', ')}.`, ''] : []),
    `Auto-merge: ${outcome.autoMerge}.`,
    '',
    ...outcome.warnings.map((warning) => `> ⚠️ ${warning}\n`),
    ...(outcome.githubActionsToken ? [`> ⚠️ ${TOKEN_WARNING}`, ''] : []),
    `GitHub API: ${requests.length} request${requests.length === 1 ? '' : 's'} (${requests.length - writes} read, ${writes} write).`,
    '',
    markdownTable(
      ['request', 'kind', 'count'],
      [...byCall].map(([name, entry]) => [`\`${name}\``, entry.write ? 'write' : 'read', String(entry.count)]),
    ),
    '',
  ];
  return parts.join('\n');
}
