/** The suite's GitHub client: `createGitHubClient` and the `GitHubClient` interface commands program against. */
export { createGitHubClient, isGitHubActionsLogin, type GitHubClientOptions, type GitHubClientLog, type GitHubRequestEvent } from './client.ts';
export type { InputNames } from './errors.ts';
export type * from './types.ts';
