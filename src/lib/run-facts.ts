/**
 * Facts about the CI run a command is part of, read once from the environment: GitHub Actions' variables first, then
 * the common variables of other CI systems for the commit. Every command that links to the run or records lineage
 * reads them here, so the run URL is the same in a commit trailer, a registry tag and a PR body.
 */
import { nonEmpty } from './text.ts';

export interface RunFacts {
  /** `https://github.com` or a GitHub Enterprise Server URL, without a trailing slash. */
  readonly serverUrl: string;
  /** The REST API base (`https://api.github.com`, GHES `<server>/api/v3`). */
  readonly apiUrl: string;
  /** The GraphQL endpoint. */
  readonly graphqlUrl: string;
  /** `owner/name` of the repository the workflow runs in. */
  readonly repository: string | undefined;
  /** The commit the run is for: GITHUB_SHA, else another CI system's commit variable. */
  readonly commit: string | undefined;
  readonly runId: string | undefined;
  readonly runAttempt: string | undefined;
  /** The run's page, with `/attempts/<n>` for a re-run attempt. */
  readonly runUrl: string | undefined;
  readonly actor: string | undefined;
  /** `push`, `workflow_dispatch`, `schedule`... */
  readonly event: string | undefined;
  readonly ref: string | undefined;
  readonly workflow: string | undefined;
  /** True inside GitHub Actions. */
  readonly inGitHubActions: boolean;
}

/** Commit variables of other CI systems, in the order they are tried after GITHUB_SHA. */
const COMMIT_VARIABLES = ['GITHUB_SHA', 'CI_COMMIT_SHA', 'BUILD_SOURCEVERSION', 'GIT_COMMIT', 'CIRCLE_SHA1', 'BITBUCKET_COMMIT', 'BUILDKITE_COMMIT', 'DRONE_COMMIT_SHA'];

const trimSlashes = (url: string): string => url.replace(/\/+$/, '');

export function runFacts(env: Readonly<Record<string, string | undefined>>): RunFacts {
  const serverUrl = trimSlashes(nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com');
  const dotCom = serverUrl === 'https://github.com';
  const apiUrl = trimSlashes(nonEmpty(env.GITHUB_API_URL) ?? (dotCom ? 'https://api.github.com' : `${serverUrl}/api/v3`));
  const graphqlUrl = trimSlashes(nonEmpty(env.GITHUB_GRAPHQL_URL) ?? (dotCom ? 'https://api.github.com/graphql' : `${serverUrl}/api/graphql`));
  const repository = nonEmpty(env.GITHUB_REPOSITORY);
  const runId = nonEmpty(env.GITHUB_RUN_ID);
  const runAttempt = nonEmpty(env.GITHUB_RUN_ATTEMPT);
  let runUrl: string | undefined;
  if (repository !== undefined && runId !== undefined) {
    runUrl = `${serverUrl}/${repository}/actions/runs/${runId}`;
    if (runAttempt !== undefined && runAttempt !== '1') runUrl += `/attempts/${runAttempt}`;
  }
  const commitVariable = COMMIT_VARIABLES.find((name) => nonEmpty(env[name]) !== undefined);
  return {
    serverUrl,
    apiUrl,
    graphqlUrl,
    repository,
    commit: commitVariable === undefined ? undefined : nonEmpty(env[commitVariable]),
    runId,
    runAttempt,
    runUrl,
    actor: nonEmpty(env.GITHUB_ACTOR),
    event: nonEmpty(env.GITHUB_EVENT_NAME),
    ref: nonEmpty(env.GITHUB_REF),
    workflow: nonEmpty(env.GITHUB_WORKFLOW),
    inGitHubActions: env.GITHUB_ACTIONS === 'true',
  };
}
