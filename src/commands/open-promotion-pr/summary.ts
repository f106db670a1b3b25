/** The job summary of open-promotion-pr, its GITHUB_TOKEN warning, and the branch-name check of its inputs. */
import { inputRef } from '../../lib/errors.ts';
import type { GitHubRequestEvent } from '../../lib/github/index.ts';
import type { PromotionOutcome } from '../../lib/promotion-pr/index.ts';
import { markdownTable } from '../../lib/report.ts';

export const TOKEN_WARNING =
  `The token is the workflow's GITHUB_TOKEN: pull requests and commits it creates start no workflow runs, so required checks never start on the promotion PR. Pass a GitHub App installation token (actions/create-github-app-token) or a personal access token in ${inputRef('token')} instead.`;

/** Why git would refuse `name` as a branch name (git check-ref-format), or undefined when it is valid. */
export function branchProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name)) return 'contains a character git refuses in a branch name (space, ~ ^ : ? * [ \\ or a control character)';
  if (name.includes('..') || name.includes('@{') || name === '@') return 'contains ".." or "@{", which git refuses in a branch name';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//') || name.endsWith('.') || name.startsWith('-')) return 'is not a valid branch name (it starts or ends with "/", "." or "-", or has "//")';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'has a part starting with "." or ending with ".lock", which git refuses';
  return undefined;
}

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
