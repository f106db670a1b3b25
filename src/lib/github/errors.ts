/**
 * The ONE place that reads GitHub's errors. It recognises the expected races (so the client can return typed results)
 * and turns the failures users meet into one sentence naming the fix. Messages never carry the token: they are built
 * from GitHub's message and our own words, and masked once more on the way out.
 */
import { inputRef, UserError } from '../errors.ts';
import { maskSecrets } from '../secrets.ts';

/** What a GitHub failure looked like, whichever of Octokit's error classes carried it. */
export interface GitHubFailure {
  /** HTTP status (GraphQL errors: 200). */
  readonly status: number;
  /** GitHub's message(s), REST `message` plus each validation error's message, or the GraphQL errors' messages. */
  readonly messages: readonly string[];
  /** GraphQL error types (STALE_DATA, NOT_FOUND, FORBIDDEN, UNPROCESSABLE ...). */
  readonly types: readonly string[];
  /** REST validation errors' `field`s. */
  readonly fields: readonly string[];
  /** `x-accepted-github-permissions` (what GitHub says the call needed), when sent. */
  readonly acceptedPermissions: string | undefined;
}

interface OctokitLikeError {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  errors?: unknown;
  response?: { data?: unknown; headers?: Record<string, unknown> };
  headers?: Record<string, unknown>;
}

/** Reads an Octokit RequestError or GraphqlResponseError; undefined for anything else (a bug or a network error). */
export function readFailure(error: unknown): GitHubFailure | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as OctokitLikeError;
  if (e.name === 'GraphqlResponseError' && Array.isArray(e.errors)) {
    const errors = e.errors as { type?: unknown; message?: unknown }[];
    return {
      status: 200,
      messages: errors.map((x) => String(x.message ?? '')),
      types: errors.map((x) => String(x.type ?? '')),
      fields: [],
      acceptedPermissions: undefined,
    };
  }
  if (typeof e.status !== 'number') return undefined;
  const data = (e.response?.data ?? {}) as { message?: unknown; errors?: unknown };
  const messages = [typeof data.message === 'string' ? data.message : String(e.message ?? '')];
  const fields: string[] = [];
  const types: string[] = [];
  if (Array.isArray(data.errors)) {
    for (const item of data.errors as { message?: unknown; field?: unknown; code?: unknown; type?: unknown }[]) {
      if (typeof item === 'string') messages.push(item);
      if (typeof item.message === 'string') messages.push(item.message);
      if (typeof item.field === 'string') fields.push(item.field);
      if (typeof item.code === 'string') types.push(item.code);
      if (typeof item.type === 'string') types.push(item.type);
    }
  }
  const headers = e.response?.headers ?? {};
  const accepted = headers['x-accepted-github-permissions'];
  return { status: e.status, messages, types, fields, acceptedPermissions: typeof accepted === 'string' ? accepted : undefined };
}

function has(failure: GitHubFailure, text: string): boolean {
  return failure.messages.some((message) => message.toLowerCase().includes(text.toLowerCase()));
}

/** The expected races and outcomes a caller acts on, told apart without the caller matching text. */
export type KnownFailure =
  | 'already-exists'
  | 'no-commits'
  | 'stale-head'
  | 'node-not-yet-visible'
  | 'reference-exists'
  | 'reference-missing'
  | 'not-fast-forward'
  | 'reference-update-failed'
  | 'label-exists'
  | 'label-not-on-issue'
  | 'auto-merge-not-allowed'
  | 'already-mergeable'
  | 'requires-merge-queue'
  | 'head-moved'
  | 'not-mergeable'
  | 'not-found'
  /** A team reviewer the token cannot see (the workflow's GITHUB_TOKEN never can; an App token needs Members: read). */
  | 'team-not-visible'
  /** The reviewer is the pull request's author (the token's own identity, when it opened the PR). */
  | 'review-from-author'
  /** A reviewer who is not a collaborator of the repository (or a team without access to it). */
  | 'not-collaborator';

export function classify(failure: GitHubFailure): KnownFailure | undefined {
  if (failure.types.includes('STALE_DATA') || has(failure, 'Expected branch to point to')) return 'stale-head';
  if (has(failure, 'A pull request already exists for')) return 'already-exists';
  if (has(failure, 'No commits between')) return 'no-commits';
  // The same words name a team the token cannot load (ids `T_…`, legacy `MDQ6VGVhbT…` = "04:Team…") and a pull request
  // GitHub does not show yet right after its creation (`PR_…`): only the second goes away by waiting.
  if (/global id of '(?:T_|MDQ6VGVhbT)/.test(failure.messages.join('\n'))) return 'team-not-visible';
  if (has(failure, 'Could not resolve to a node with the global id of')) return 'node-not-yet-visible';
  if (has(failure, 'Review cannot be requested from pull request author')) return 'review-from-author';
  if (has(failure, 'Reviews may only be requested from collaborators')) return 'not-collaborator';
  if (has(failure, 'Reference already exists')) return 'reference-exists';
  if (has(failure, 'Reference does not exist')) return 'reference-missing';
  if (has(failure, 'Update is not a fast forward')) return 'not-fast-forward';
  if (has(failure, 'Reference update failed')) return 'reference-update-failed';
  if (failure.types.includes('already_exists') && failure.fields.includes('name')) return 'label-exists';
  if (has(failure, 'Label does not exist')) return 'label-not-on-issue';
  if (has(failure, 'Auto merge is not allowed')) return 'auto-merge-not-allowed';
  if (/Pull request Pull request is in (clean|unstable|has.hooks) status/i.test(failure.messages.join('\n'))) return 'already-mergeable';
  if (has(failure, 'Changes must be made through the merge queue')) return 'requires-merge-queue';
  if (has(failure, 'Head branch was modified') || (failure.status === 409 && has(failure, 'modified'))) return 'head-moved';
  if (failure.status === 405) return 'not-mergeable';
  if (failure.status === 404 || failure.types.includes('NOT_FOUND')) return 'not-found';
  return undefined;
}

/** The names of the caller's inputs, for sentences (lib code never hard-codes a command's input names). */
export interface InputNames {
  /** The input holding the token (e.g. `token`). */
  readonly token: string;
  /** The input naming the repository, when the command has one. */
  readonly repository?: string;
  /** The input naming the base branch, when the command has one. */
  readonly base?: string;
  /** The input naming the REST API URL, when the command has one. */
  readonly apiUrl?: string;
  /** The inputs listing labels, reviewers and team reviewers (default `labels`, `reviewers`, `team-reviewers`). */
  readonly labels?: string;
  readonly reviewers?: string;
  readonly teamReviewers?: string;
}

export interface FailureContext {
  /** What we were doing, as a verb phrase: "create the pull request", "commit to branch x". */
  readonly action: string;
  /** The permission this call needs on an App token / GITHUB_TOKEN, e.g. `pull-requests: write`. */
  readonly needs: string | undefined;
  readonly repository: string;
  readonly branch?: string;
  /** What the call was about (a label name, a reviewer), for sentences. */
  readonly subject?: string;
  readonly inputs: InputNames;
  /** Values never to show (the token). */
  readonly secrets: readonly string[];
}

const WORKFLOW_FILE = /workflow `([^`]+)` without `workflows` permission/i;

/** `pull_requests=write; issues=write` -> `pull-requests: write` (the first alternative, in workflow syntax). */
function permissionFromHeader(header: string | undefined): string | undefined {
  const first = header?.split(/[;,]/)[0]?.trim();
  if (first === undefined || !first.includes('=')) return undefined;
  const [name, level] = first.split('=') as [string, string];
  return `${name.replace(/_/g, '-')}: ${level}`;
}

/**
 * The sentence for a GitHub failure a user can fix, as a UserError; undefined when it is not one (the caller then
 * reports it as GitHub's own answer, see `unexpectedFailure`).
 */
export function userErrorFor(failure: GitHubFailure, context: FailureContext): UserError | undefined {
  const token = inputRef(context.inputs.token);
  const repo = context.repository;
  const make = (sentence: string): UserError => new UserError(maskSecrets(sentence, context.secrets), { input: context.inputs.token });
  if (failure.status === 401 || has(failure, 'Bad credentials')) {
    return make(`GitHub refused the token in ${token} ("Bad credentials"): it is expired, revoked or not a GitHub token; pass a valid token.`);
  }
  if (has(failure, 'GitHub Actions is not permitted to create or approve pull requests')) {
    return make(
      `GitHub Actions may not create pull requests in ${repo}: turn on "Allow GitHub Actions to create and approve pull requests" in the repository's Settings > Actions > General (an organisation may have to allow it first), or pass a GitHub App token or a personal access token in ${token}.`,
    );
  }
  const workflow = WORKFLOW_FILE.exec(failure.messages.join('\n'));
  if (workflow !== null) {
    return make(
      `The change touches the workflow file ${workflow[1]}, which the token in ${token} may not write: the workflow's GITHUB_TOKEN never can, so pass a GitHub App token with "Workflows: write" or a personal access token with the \`workflow\` scope, or leave .github/workflows/ out of the change.`,
    );
  }
  if (has(failure, 'Protected branch') || has(failure, 'protected branch')) {
    const branch = context.branch === undefined ? 'the branch' : `branch ${context.branch}`;
    return make(
      `GitHub refused to ${context.action}: ${branch} of ${repo} is protected against direct writes; write to an unprotected branch and merge through a pull request, or allow the token's identity in the branch protection rule.`,
    );
  }
  // Before the general permission sentence: which label, and that creating it once by hand is a fix too.
  if (has(failure, 'You do not have permission to create labels')) {
    const labels = context.inputs.labels ?? 'labels';
    return new UserError(
      maskSecrets(
        `The token in ${token} may not create labels in ${repo}, and ${context.subject === undefined ? 'a label the pull request should carry' : `the label ${context.subject}`} (${inputRef(labels)}) does not exist there yet: create it once by hand (Issues > Labels > New label), or give the token \`issues: write\` (in the workflow: \`permissions: { issues: write }\`).`,
        context.secrets,
      ),
      { input: labels },
    );
  }
  const forbidden = failure.status === 403 || failure.types.includes('FORBIDDEN');
  if (forbidden && (has(failure, 'Resource not accessible by') || has(failure, 'must have') || has(failure, 'permission'))) {
    const permission = permissionFromHeader(failure.acceptedPermissions) ?? context.needs;
    const grant = permission === undefined ? 'grant it the permission this needs' : `grant it \`${permission}\` (in the workflow: \`permissions: { ${permission} }\`)`;
    return make(`The token in ${token} may not ${context.action} in ${repo}: ${grant}, or pass a token that has it.`);
  }
  if (failure.status === 422 && failure.fields.includes('base')) {
    const base = context.inputs.base === undefined ? 'the base branch' : inputRef(context.inputs.base);
    return make(`The base branch of the pull request does not exist in ${repo}: check ${base}, or create that branch first.`);
  }
  if (has(failure, 'Could not resolve to a Repository') || (failure.status === 404 && context.action === 'read the repository')) {
    const where = context.inputs.repository === undefined ? '' : ` (${inputRef(context.inputs.repository)})`;
    return make(`Repository ${repo}${where} was not found, or the token in ${token} cannot see it: check the name, and give the token access to that repository.`);
  }
  if (has(failure, 'body is too long')) {
    return make(`GitHub refused to ${context.action}: the text is longer than GitHub's 65,536 character limit; shorten it.`);
  }
  const refusal = classify(failure);
  if (refusal === 'team-not-visible' || refusal === 'review-from-author' || refusal === 'not-collaborator') {
    const sentence = `GitHub refused to ${context.action}: ${reviewRefusalSentence(refusal, context.subject, context)}`;
    const input = refusal === 'team-not-visible' ? (context.inputs.teamReviewers ?? 'team-reviewers') : (context.inputs.reviewers ?? 'reviewers');
    return new UserError(maskSecrets(sentence, context.secrets), { input });
  }
  return undefined;
}

/**
 * Why GitHub would not request a review from `name` (undefined when GitHub did not say who), and the fix, as a clause:
 * "Skipped reviewer x: <clause>" in open-promotion-pr's warning, "GitHub refused to ...: <clause>" as an error.
 */
export function reviewRefusalSentence(
  reason: 'team-not-visible' | 'review-from-author' | 'not-collaborator',
  name: string | undefined,
  context: Pick<FailureContext, 'repository' | 'inputs'>,
): string {
  const token = inputRef(context.inputs.token);
  const reviewers = inputRef(context.inputs.reviewers ?? 'reviewers');
  const teams = inputRef(context.inputs.teamReviewers ?? 'team-reviewers');
  switch (reason) {
    case 'team-not-visible': {
      const which = name === undefined ? `a team of ${teams}` : `${name.includes(',') ? 'the teams' : 'the team'} ${name} (${teams})`;
      return `the token in ${token} cannot see ${which} ("Could not resolve to a node with the global id of ..."): teams belong to the organisation, which the workflow's GITHUB_TOKEN can never read; pass a personal access token with the \`repo\` scope, or a GitHub App token with the organisation permission "Members: read", in ${token}, or leave ${teams} empty.`;
    }
    case 'review-from-author':
      return `${name === undefined ? `a login in ${reviewers}` : `${name} (${reviewers})`} is the author of the pull request (the token in ${token} is the author of the pull requests it opens), and GitHub does not let authors review their own pull requests; leave ${name ?? 'that login'} out of ${reviewers}.`;
    case 'not-collaborator':
      return `${name === undefined ? `a login in ${reviewers} or a team in ${teams}` : name} is not a collaborator of ${context.repository}, and GitHub requests reviews only from collaborators (and teams with access to the repository); fix the name, or give ${name ?? 'it'} access to ${context.repository}.`;
  }
}

/** A GitHub failure nobody can fix from the inputs: still one sentence with GitHub's own words, never the token. */
export function unexpectedFailure(failure: GitHubFailure, context: FailureContext): UserError {
  const what = failure.messages.filter((m) => m !== '' && m !== 'Validation Failed').join('; ') || 'no message';
  return new UserError(maskSecrets(`GitHub refused to ${context.action} in ${context.repository} (HTTP ${failure.status}): ${what}.`, context.secrets));
}
