/**
 * The GitHub connection inputs every command that talks to the GitHub API shares (open-promotion-pr, and rollback in
 * `pull-request` mode): `token`, `repository`, `github-api-url`, declared once so their names, environment fallbacks
 * and docs cannot drift apart, and the one way to turn them into a `GitHubClient`.
 */
import { secret, text, type RunContext } from '../command.ts';
import { inputRef, UserError } from '../errors.ts';
import { runFacts } from '../run-facts.ts';
import { createGitHubClient, type GitHubRequestEvent } from './client.ts';
import type { GitHubClient } from './types.ts';

/** Where the token comes from when the input is empty: the runner's `github.token`, the CLI's environment. */
const TOKEN_SOURCES = { env: ['GITHUB_TOKEN', 'GH_TOKEN'], actionDefault: '${{ github.token }}' } as const;

/** The `token` input of a command that always talks to GitHub. */
export function requiredTokenInput(description: string) {
  return secret({ description, ...TOKEN_SOURCES, required: true });
}

/** The `token` input of a command that talks to GitHub only in some modes; `connectGitHub` refuses a missing one. */
export function optionalTokenInput(description: string) {
  return secret({ description, ...TOKEN_SOURCES });
}

/** `repository` and `github-api-url`: which repository, on which GitHub. */
export const GITHUB_REPOSITORY_INPUTS = {
  repository: text({
    description: 'The manifest repository, `owner/name`.',
    defaultDescription: 'the repository of the workflow (`GITHUB_REPOSITORY`)',
    pattern: /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/,
    patternHint: '`owner/name`',
  }),
  'github-api-url': text({
    description: 'The GitHub REST API base (GitHub Enterprise Server: `https://<host>/api/v3`).',
    env: ['GITHUB_API_URL'],
    defaultDescription: '`https://api.github.com`',
    pattern: /^https?:\/\/[^\s/]+/,
    patternHint: 'an http(s) URL such as https://api.github.com',
  }),
};

export interface GitHubInputValues {
  readonly token: string | undefined;
  readonly repository: string | undefined;
  readonly githubApiUrl: string | undefined;
}

export interface ConnectOptions {
  /** The caller's input naming the base branch, for error sentences. */
  readonly baseInput: string;
  /** The sentence refusing a missing token, for commands that work without one in other modes. */
  readonly missingToken?: string;
  readonly onRequest?: (event: GitHubRequestEvent) => void;
}

/** The client for the repository the inputs name (default the workflow's), or a UserError naming the missing input. */
export function connectGitHub(inputs: GitHubInputValues, ctx: RunContext, options: ConnectOptions): { gh: GitHubClient; repository: string } {
  const facts = runFacts(ctx.env);
  if (inputs.token === undefined) {
    throw new UserError(
      options.missingToken ?? `A GitHub token with contents: write and pull-requests: write is needed: set ${inputRef('token')} (or GITHUB_TOKEN / GH_TOKEN in the environment).`,
      { input: 'token' },
    );
  }
  const repository = inputs.repository ?? facts.repository;
  if (repository === undefined) {
    throw new UserError(`${inputRef('repository')} is required outside GitHub Actions (GITHUB_REPOSITORY is not set): give the manifest repository as owner/name.`, { input: 'repository' });
  }
  const [owner, repo] = repository.split('/') as [string, string];
  // The GraphQL endpoint of the environment belongs to its REST base; another `github-api-url` derives its own.
  const apiUrl = inputs.githubApiUrl ?? facts.apiUrl;
  const graphqlUrl = ctx.env.GITHUB_GRAPHQL_URL !== undefined && ctx.env.GITHUB_GRAPHQL_URL !== '' && apiUrl.replace(/\/+$/, '') === facts.apiUrl ? facts.graphqlUrl : undefined;
  const gh = createGitHubClient({
    token: inputs.token,
    apiUrl,
    ...(graphqlUrl === undefined ? {} : { graphqlUrl }),
    repository: { owner, repo },
    inputs: { token: 'token', repository: 'repository', base: options.baseInput, apiUrl: 'github-api-url' },
    log: ctx.log,
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
  });
  return { gh, repository };
}
