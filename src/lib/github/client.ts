/**
 * The GitHub client of the suite: Octokit from `@actions/github` with the retry and throttling plugins, behind the
 * `GitHubClient` interface. Rate limits are honoured (Retry-After, x-ratelimit-reset) with a bounded number of
 * retries and a log line each; 5xx answers are retried by the retry plugin; the eventual-consistency 422 right after
 * a pull request is created is retried on a short schedule. Every other failure goes through `errors.ts` once.
 */
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { inputRef, UserError } from '../errors.ts';
import { SYSTEM_CLOCK, type Clock } from '../retry.ts';
import { classify, readFailure, reviewRefusalSentence, unexpectedFailure, userErrorFor, type FailureContext, type InputNames, type KnownFailure } from './errors.ts';
import * as q from './queries.ts';
import type {
  CommitFilesInput,
  CommitSummary,
  GitHubClient,
  MergeMethod,
  PullRequestInfo,
  PullRequestLookup,
  RepositoryInfo,
  RepositoryRef,
  ReviewRefusal,
  ReviewRequestOutcome,
} from './types.ts';

export interface GitHubRequestEvent {
  readonly kind: 'rest' | 'graphql';
  readonly method: string;
  /** The route template (`/repos/{owner}/{repo}/pulls`) or `/graphql`: never a token, never query values. */
  readonly route: string;
  /** The GraphQL operation name, when there is one. */
  readonly operationName: string | undefined;
  readonly write: boolean;
}

export interface GitHubClientLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export interface GitHubClientOptions {
  /** The caller has masked it already; the client never puts it in a message or a URL. */
  readonly token: string;
  /** REST base: `https://api.github.com`, or `https://ghe.example.com/api/v3` on GitHub Enterprise Server. */
  readonly apiUrl: string;
  /** GraphQL endpoint; default derived from `apiUrl` (`/graphql`, or `/api/graphql` on GHES). */
  readonly graphqlUrl?: string;
  readonly repository: RepositoryRef;
  /** The caller's input names, for error sentences. */
  readonly inputs: InputNames;
  readonly log?: GitHubClientLog;
  /** Called before every HTTP request (retries included): for counting calls and the job summary. */
  readonly onRequest?: (event: GitHubRequestEvent) => void;
  /** Retries after a rate limit before giving up (default 3). */
  readonly rateLimitRetries?: number;
  /** Milliseconds per second of Retry-After / reset wait and of the 5xx backoff (default 1000; tests shrink it). */
  readonly retryAfterUnitMs?: number;
  /** Waits before retrying a call that hit the eventual-consistency 422 after creation (default 1 s, 2 s). */
  readonly nodeLagDelaysMs?: readonly number[];
  /** Milliseconds each HTTP attempt may take before it is abandoned (default 20 s; tests shrink it). */
  readonly requestTimeoutMs?: number;
  readonly clock?: Clock;
}

/**
 * GitHub ends any API request it takes more than 10 s to process, so an attempt still unanswered after twice that is a
 * server that will never answer (a proxy or firewall swallowing the connection): without a limit the run hangs until
 * the job's own timeout, hours later.
 */
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** Retries of a 5xx answer or a failed connection (the retry plugin's backoff: 1, 4, 9 s). */
const SERVER_ERROR_RETRIES = 3;

type Octokit = ReturnType<typeof getOctokit>;
type ThrottleOptions = NonNullable<Parameters<typeof throttling>[1]['throttle']>;

const NO_LOG: GitHubClientLog = { info: () => undefined, warning: () => undefined, debug: () => undefined };

function toBase64(contents: string | Uint8Array): string {
  return Buffer.from(typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents).toString('base64');
}

const MERGE_METHOD_ENUM: Record<MergeMethod, string> = { merge: 'MERGE', squash: 'SQUASH', rebase: 'REBASE' };

/** A 200 answer without GitHub's JSON (an HTML page). */
class NotGitHubError extends Error {}

/** A failure the client understood (a race, an expected outcome) and hands back as a value, plus the raw failure. */
class Known {
  readonly kind: KnownFailure;
  /** GitHub's words, for results that report them (a PR that is not mergeable says why). */
  readonly messages: readonly string[];
  constructor(kind: KnownFailure, messages: readonly string[]) {
    this.kind = kind;
    this.messages = messages;
  }
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const log = options.log ?? NO_LOG;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const unit = options.retryAfterUnitMs ?? 1000;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const { owner, repo } = options.repository;
  const nameWithOwner = `${owner}/${repo}`;

  // Registered before the retry and throttling plugins, so it sits innermost: it sees every attempt, retries too.
  const countRequests = (octokitInstance: { hook: Octokit['hook'] }): Record<string, never> => {
    octokitInstance.hook.before('request', (request) => {
      const route = String(request.url);
      const isGraphQL = route.endsWith('/graphql') || route === '/graphql';
      const query = typeof (request as { query?: unknown }).query === 'string' ? ((request as { query?: string }).query as string) : '';
      const operationName = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1];
      const event: GitHubRequestEvent = {
        kind: isGraphQL ? 'graphql' : 'rest',
        method: request.method,
        route: isGraphQL ? '/graphql' : route,
        operationName,
        write: isGraphQL ? /^\s*mutation\b/.test(query) : request.method !== 'GET' && request.method !== 'HEAD',
      };
      log.debug(`GitHub ${event.method} ${event.route}${operationName === undefined ? '' : ` (${operationName})`}`);
      options.onRequest?.(event);
      // A fresh limit per attempt: the retry plugin retries a timed-out attempt like any 5xx.
      request.request = { ...request.request, signal: AbortSignal.timeout(requestTimeoutMs) };
    });
    return {};
  };

  const octokit: Octokit = getOctokit(
    options.token,
    {
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      retry: { retries: SERVER_ERROR_RETRIES, retryAfterBaseValue: unit },
      throttle: {
        retryAfterBaseValue: unit,
        fallbackSecondaryRateRetryAfter: 60,
        // The plugin spaces writes by 1 s and content-creating writes (PRs, comments) by 3 s: GitHub's advice for
        // bulk writers. A run makes a handful of writes, and a secondary limit is answered by waiting as told
        // below, so no client-side spacing (it would add seconds to every run).
        write: passThroughGroup() as NonNullable<ThrottleOptions['write']>,
        notifications: passThroughGroup() as NonNullable<ThrottleOptions['notifications']>,
        onRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          if (retryCount >= rateLimitRetries) {
            log.warning(`GitHub rate limit reached on ${request.method} ${request.url}; giving up after ${retryCount} retries.`);
            return false;
          }
          log.info(`GitHub rate limit reached on ${request.method} ${request.url}; retrying in ${retryAfter} s (the limit resets then).`);
          return true;
        },
        onSecondaryRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          if (retryCount >= rateLimitRetries) {
            log.warning(`GitHub secondary rate limit on ${request.method} ${request.url}; giving up after ${retryCount} retries.`);
            return false;
          }
          log.info(`GitHub secondary rate limit on ${request.method} ${request.url}; retrying in ${retryAfter} s as GitHub asks (Retry-After).`);
          return true;
        },
      },
    },
    countRequests,
    retry,
    throttling,
  );

  // `url` may not be passed with the variables (@octokit/graphql refuses it): it is a default of the instance.
  const graphqlClient = options.graphqlUrl === undefined ? octokit.graphql : octokit.graphql.defaults({ url: options.graphqlUrl });
  async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const data = await graphqlClient<T>(query, variables);
    // A proxy, a login page or a wrong URL answers 200 with HTML: Octokit then hands back no data at all.
    if (data === null || typeof data !== 'object') throw new NotGitHubError();
    return data;
  }

  function failureContext(action: string, needs: string | undefined, branch?: string, subject?: string): FailureContext {
    return {
      action,
      needs,
      repository: nameWithOwner,
      ...(branch === undefined ? {} : { branch }),
      ...(subject === undefined ? {} : { subject }),
      inputs: options.inputs,
      secrets: [options.token],
    };
  }

  /**
   * Runs one GitHub call. Failures in `expected` come back as `Known` (the method turns them into its typed result);
   * the eventual-consistency 422 is retried on the schedule; the rest become UserErrors, one sentence each.
   */
  async function call<T>(
    context: { action: string; needs?: string; branch?: string; subject?: string; expected?: readonly KnownFailure[]; retryNodeLag?: boolean },
    run: () => Promise<T>,
  ): Promise<T | Known> {
    const delays = context.retryNodeLag ? (options.nodeLagDelaysMs ?? [1000, 2000]) : [];
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        // A proxy, a login page, a wrong URL (github.com instead of api.github.com) answers HTML, whatever the status.
        const answered = (error as { response?: { data?: unknown; status?: unknown } }).response;
        const html = typeof answered?.data === 'string' && /^\s*</.test(answered.data);
        if (error instanceof NotGitHubError || html) {
          const input = options.inputs.apiUrl === undefined ? '' : ` (${inputRef(options.inputs.apiUrl)})`;
          const status = html ? `HTTP ${String(answered?.status)} with an HTML page` : 'no JSON; an HTML page or a proxy?';
          throw new UserError(`The server at ${options.apiUrl}${input} did not answer as GitHub's API does (${status}) when asked to ${context.action}: point it at the GitHub API, e.g. https://api.github.com or https://<host>/api/v3 for GitHub Enterprise Server.`, {
            ...(options.inputs.apiUrl === undefined ? {} : { input: options.inputs.apiUrl }),
          });
        }
        // Octokit reports a connection that failed (refused, DNS, TLS) as status 500 without a response.
        const e = error as { name?: unknown; status?: unknown; response?: unknown; message?: unknown };
        if (e.name === 'HttpError' && e.status === 500 && e.response === undefined) {
          const input = options.inputs.apiUrl === undefined ? '' : `; check ${inputRef(options.inputs.apiUrl)}`;
          const timedOut = (error as { cause?: { name?: unknown } }).cause?.name === 'TimeoutError';
          const why = timedOut ? `no answer within ${requestTimeoutMs / 1000} s, in each of ${SERVER_ERROR_RETRIES + 1} attempts` : String(e.message).split(options.token).join('***');
          throw new UserError(`Could not reach GitHub at ${options.apiUrl} to ${context.action}: ${why}${input} and the network.`, {
            ...(options.inputs.apiUrl === undefined ? {} : { input: options.inputs.apiUrl }),
          });
        }
        const failure = readFailure(error);
        if (failure === undefined) {
          if (error instanceof UserError) throw error;
          const message = error instanceof Error ? error.message : String(error);
          throw new UserError(`Could not reach GitHub at ${options.apiUrl} to ${context.action}: ${message.split(options.token).join('***')}.`);
        }
        const kind = classify(failure);
        if (kind === 'node-not-yet-visible' && attempt < delays.length) {
          log.info(`GitHub does not show the new pull request yet; retrying to ${context.action} in ${(delays[attempt] as number) / 1000} s.`);
          await clock.sleep(delays[attempt] as number);
          continue;
        }
        if (kind !== undefined && context.expected?.includes(kind)) return new Known(kind, failure.messages);
        const where = failureContext(context.action, context.needs, context.branch, context.subject);
        throw userErrorFor(failure, where) ?? unexpectedFailure(failure, where);
      }
    }
  }

  const PR_WRITE = 'pull-requests: write';
  const CONTENTS_WRITE = 'contents: write';
  const ISSUES_WRITE = 'issues: write';
  const REVIEW_REFUSALS: readonly KnownFailure[] = ['team-not-visible', 'review-from-author', 'not-collaborator'];

  /** One review request; a refusal comes back as its reason. */
  async function requestReview(number: number, users: readonly string[], teams: readonly string[]): Promise<ReviewRefusal | undefined> {
    const result = await call({ action: `request reviewers on pull request #${number}`, needs: PR_WRITE, expected: REVIEW_REFUSALS, retryNodeLag: true }, () =>
      octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, ...(users.length > 0 ? { reviewers: [...users] } : {}), ...(teams.length > 0 ? { team_reviewers: [...teams] } : {}) }),
    );
    return result instanceof Known ? (result.kind as ReviewRefusal) : undefined;
  }

  const client: GitHubClient = {
    repository: { owner, repo },

    async repositoryInfo() {
      const result = await call({ action: 'read the repository' }, () => graphql<{ repository: RawRepository | null }>(q.REPOSITORY_QUERY, { owner, name: repo }));
      if (result instanceof Known || result.repository === null) throw notFound();
      return toRepositoryInfo(result.repository);
    },

    async branchHead(branch) {
      const result = await call({ action: `read branch ${branch}`, expected: ['not-found'] }, () => octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
      return result instanceof Known ? undefined : result.data.object.sha;
    },

    async readFiles(ref, paths) {
      const variables: Record<string, unknown> = { owner, name: repo };
      paths.forEach((path, i) => (variables[`e${i}`] = `${ref}:${path}`));
      const result = await call({ action: `read files at ${ref}` }, () => graphql<{ repository: Record<string, { text?: string | null; isBinary?: boolean } | null> | null }>(q.readFilesQuery(paths.length), variables));
      if (result instanceof Known || result.repository === null) throw notFound();
      const files = new Map<string, string | undefined>();
      paths.forEach((path, i) => {
        const blob = result.repository?.[`f${i}`];
        files.set(path, blob === null || blob === undefined || blob.isBinary || typeof blob.text !== 'string' ? undefined : blob.text);
      });
      return files;
    },

    async findOpenPullRequest({ head, base }) {
      const result = await call({ action: 'look for the open pull request' }, () =>
        graphql<{ repository: (RawRepository & { headRef: RawRef; baseRef: RawRef; mergeQueue: { id: string } | null; pullRequests: { nodes: RawPull[] } }) | null }>(
          q.FIND_PULL_REQUEST_QUERY,
          { owner, name: repo, head, base, headRef: `refs/heads/${head}`, baseRef: `refs/heads/${base}` },
        ),
      );
      if (result instanceof Known || result.repository === null) throw notFound();
      const r = result.repository;
      const lookup: PullRequestLookup = {
        repository: toRepositoryInfo(r),
        headOid: r.headRef?.target?.oid,
        baseOid: r.baseRef?.target?.oid,
        baseUsesMergeQueue: r.mergeQueue !== null,
        pullRequest: r.pullRequests.nodes[0] === undefined ? undefined : toPullRequestInfo(r.pullRequests.nodes[0]),
      };
      return lookup;
    },

    async readPromotionState(input) {
      const variables: Record<string, unknown> = {
        owner,
        name: repo,
        head: input.head,
        base: input.base,
        headRef: `refs/heads/${input.head}`,
        baseRef: `refs/heads/${input.base}`,
        tracking: [input.trackingLabel],
      };
      input.files.forEach((path, i) => {
        variables[`b${i}`] = `${input.base}:${path}`;
        variables[`h${i}`] = `${input.head}:${path}`;
      });
      input.labels.forEach((label, i) => (variables[`l${i}`] = label));
      type Blob = { text?: string | null; isBinary?: boolean } | null;
      type Raw = RawRepository & {
        headRef: { target: { oid: string; message?: string; parents?: { nodes: { oid: string }[] } } | null } | null;
        baseRef: RawRef;
        mergeQueue: { id: string } | null;
        pullRequests: { nodes: RawPull[] };
        tracked: { nodes: RawPull[] };
        milestones: { nodes: { number: number; title: string }[] } | null;
      } & Record<string, unknown>;
      const result = await call({ action: 'look for the open pull request' }, () =>
        graphql<{ viewer: { login: string }; repository: Raw | null }>(q.promotionStateQuery({ files: input.files.length, labels: input.labels.length }), variables),
      );
      if (result instanceof Known || result.repository === null) throw notFound();
      const r = result.repository;
      const text = (blob: unknown): string | undefined => {
        const b = blob as Blob | undefined;
        return b === null || b === undefined || b.isBinary || typeof b.text !== 'string' ? undefined : b.text;
      };
      const head = r.headRef?.target ?? undefined;
      return {
        repository: toRepositoryInfo(r),
        headOid: head?.oid,
        baseOid: r.baseRef?.target?.oid,
        baseUsesMergeQueue: r.mergeQueue !== null,
        pullRequest: r.pullRequests.nodes[0] === undefined ? undefined : toPullRequestInfo(r.pullRequests.nodes[0]),
        viewerLogin: result.viewer.login,
        headTip: head === undefined ? undefined : { oid: head.oid, message: head.message ?? '', parents: (head.parents?.nodes ?? []).map((p) => p.oid) },
        baseFiles: new Map(input.files.map((path, i) => [path, text(r[`b${i}`])])),
        headFiles: new Map(input.files.map((path, i) => [path, head === undefined ? undefined : text(r[`h${i}`])])),
        existingLabels: input.labels.flatMap((_, i) => {
          const label = r[`l${i}`] as { name: string } | null | undefined;
          return label === null || label === undefined ? [] : [label.name];
        }),
        milestones: r.milestones?.nodes ?? [],
        tracked: r.tracked.nodes.map(toPullRequestInfo),
      };
    },

    async listOpenPullRequestsByLabel(label, listOptions = {}) {
      const result = await call({ action: `list the open pull requests labelled ${label}` }, () =>
        graphql<{ repository: { pullRequests: { nodes: RawPull[] } } | null }>(q.PULL_REQUESTS_BY_LABEL_QUERY, { owner, name: repo, labels: [label], base: listOptions.base ?? null }),
      );
      if (result instanceof Known || result.repository === null) throw notFound();
      return result.repository.pullRequests.nodes.map(toPullRequestInfo);
    },

    async createPullRequest(input) {
      const result = await call({ action: 'create the pull request', needs: PR_WRITE, branch: input.head, expected: ['already-exists', 'no-commits'] }, () =>
        octokit.rest.pulls.create({
          owner,
          repo,
          head: input.head,
          base: input.base,
          title: input.title,
          body: input.body,
          ...(input.draft === undefined ? {} : { draft: input.draft }),
          ...(input.maintainerCanModify === undefined ? {} : { maintainer_can_modify: input.maintainerCanModify }),
        }),
      );
      if (result instanceof Known) return { kind: result.kind as 'already-exists' | 'no-commits' };
      const data = result.data;
      return { kind: 'created', pullRequest: { number: data.number, id: data.node_id, url: data.html_url, headSha: data.head.sha } };
    },

    async updatePullRequest(number, fields) {
      const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
      if (Object.keys(given).length === 0) return;
      await call({ action: `update pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.pulls.update({ owner, repo, pull_number: number, ...given }));
    },

    async closePullRequest(number) {
      await call({ action: `close pull request #${number}`, needs: PR_WRITE }, () => octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' }));
    },

    async comment(number, body) {
      await call({ action: `comment on pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.issues.createComment({ owner, repo, issue_number: number, body }));
    },

    async addLabels(number, labels) {
      if (labels.length === 0) return;
      await call({ action: `label pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [...labels] }));
    },

    async removeLabel(number, label) {
      await call({ action: `remove label ${label} from pull request #${number}`, needs: PR_WRITE, expected: ['label-not-on-issue', 'not-found'] }, () =>
        octokit.rest.issues.removeLabel({ owner, repo, issue_number: number, name: label }),
      );
    },

    async ensureLabel(name, color, description) {
      const existing = await call({ action: `read label ${name}`, expected: ['not-found'] }, () => octokit.rest.issues.getLabel({ owner, repo, name }));
      if (!(existing instanceof Known)) return false;
      const created = await call({ action: `create label ${name}`, needs: ISSUES_WRITE, subject: name, expected: ['label-exists'] }, () =>
        octokit.rest.issues.createLabel({ owner, repo, name, color: color.replace(/^#/, ''), ...(description === undefined ? {} : { description }) }),
      );
      return !(created instanceof Known);
    },

    async createLabel(name, color, description) {
      const created = await call({ action: `create label ${name}`, needs: ISSUES_WRITE, subject: name, expected: ['label-exists'] }, () =>
        octokit.rest.issues.createLabel({ owner, repo, name, color: color.replace(/^#/, ''), ...(description === undefined ? {} : { description }) }),
      );
      return !(created instanceof Known);
    },

    async updateIssue(number, fields) {
      const given: { labels?: string[]; assignees?: string[]; milestone?: number | null } = {};
      if (fields.labels !== undefined) given.labels = [...fields.labels];
      if (fields.assignees !== undefined) given.assignees = [...fields.assignees];
      if (fields.milestone !== undefined) given.milestone = fields.milestone;
      if (Object.keys(given).length === 0) return;
      await call({ action: `label and assign pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.issues.update({ owner, repo, issue_number: number, ...given }));
    },

    async requestReviewers(number, reviewers) {
      const users = [...(reviewers.users ?? [])];
      const teams = [...(reviewers.teams ?? [])];
      const outcome: { requested: { users: string[]; teams: string[] }; refused: ReviewRequestOutcome['refused'][number][] } = { requested: { users: [], teams: [] }, refused: [] };
      if (users.length === 0 && teams.length === 0) return outcome;
      const refusal = await requestReview(number, users, teams);
      if (refusal === undefined) return { requested: { users, teams }, refused: [] };
      // GitHub refuses the whole request and does not say which reviewer it minds: ask for each one on its own, so
      // the others are still requested and the warning names the one refused (a few requests, on this path only).
      const each = [...users.map((name) => ({ name, team: false })), ...teams.map((name) => ({ name, team: true }))];
      for (const reviewer of each) {
        const reason = each.length === 1 ? refusal : await requestReview(number, reviewer.team ? [] : [reviewer.name], reviewer.team ? [reviewer.name] : []);
        if (reason === undefined) (reviewer.team ? outcome.requested.teams : outcome.requested.users).push(reviewer.name);
        else outcome.refused.push({ ...reviewer, reason, sentence: reviewRefusalSentence(reason, reviewer.name, { repository: nameWithOwner, inputs: options.inputs }) });
      }
      return outcome;
    },

    async removeRequestedReviewers(number, reviewers) {
      const users = [...(reviewers.users ?? [])];
      const teams = [...(reviewers.teams ?? [])];
      if (users.length === 0 && teams.length === 0) return;
      await call({ action: `remove requested reviewers from pull request #${number}`, needs: PR_WRITE }, () =>
        octokit.rest.pulls.removeRequestedReviewers({ owner, repo, pull_number: number, reviewers: users, ...(teams.length > 0 ? { team_reviewers: teams } : {}) }),
      );
    },

    async addAssignees(number, logins) {
      if (logins.length === 0) return;
      await call({ action: `assign pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.issues.addAssignees({ owner, repo, issue_number: number, assignees: [...logins] }));
    },

    async findMilestone(title) {
      const result = await call({ action: 'list the milestones' }, () => octokit.rest.issues.listMilestones({ owner, repo, state: 'open', per_page: 100 }));
      if (result instanceof Known) return undefined;
      return result.data.find((milestone) => milestone.title === title)?.number;
    },

    async setMilestone(number, milestone) {
      await call({ action: `set the milestone of pull request #${number}`, needs: PR_WRITE, retryNodeLag: true }, () => octokit.rest.issues.update({ owner, repo, issue_number: number, milestone }));
    },

    async createBranch(branch, sha) {
      const result = await call({ action: `create branch ${branch}`, needs: CONTENTS_WRITE, branch, expected: ['reference-exists'] }, () =>
        octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha }),
      );
      return result instanceof Known ? { kind: 'already-exists' } : { kind: 'created' };
    },

    async updateBranch(branch, sha, updateOptions = {}) {
      const result = await call({ action: `update branch ${branch}`, needs: CONTENTS_WRITE, branch, expected: ['not-fast-forward', 'reference-update-failed'] }, () =>
        octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: updateOptions.force ?? false }),
      );
      if (!(result instanceof Known)) return { kind: 'updated' };
      return result.kind === 'reference-update-failed' ? { kind: 'update-failed' } : { kind: 'not-fast-forward' };
    },

    async deleteBranch(branch) {
      const result = await call({ action: `delete branch ${branch}`, needs: CONTENTS_WRITE, branch, expected: ['reference-missing', 'not-found'] }, () =>
        octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` }),
      );
      return !(result instanceof Known);
    },

    async compare(base, head) {
      const result = await call({ action: `compare ${base} with ${head}` }, () => octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}` }));
      if (result instanceof Known) throw notFound();
      return { status: result.data.status, aheadBy: result.data.ahead_by, behindBy: result.data.behind_by };
    },

    async commitFiles(input: CommitFilesInput) {
      const result = await call({ action: `commit to branch ${input.branch}`, needs: CONTENTS_WRITE, branch: input.branch, expected: ['stale-head'] }, () =>
        graphql<{ createCommitOnBranch: { commit: { oid: string; url: string } } }>(q.CREATE_COMMIT_MUTATION, {
          input: {
            branch: { repositoryNameWithOwner: nameWithOwner, branchName: input.branch },
            expectedHeadOid: input.expectedHeadOid,
            message: { headline: input.message.headline, ...(input.message.body === undefined || input.message.body === '' ? {} : { body: input.message.body }) },
            fileChanges: {
              additions: (input.additions ?? []).map((file) => ({ path: file.path, contents: toBase64(file.contents) })),
              deletions: (input.deletions ?? []).map((path) => ({ path })),
            },
          },
        }),
      );
      if (result instanceof Known) return { kind: 'stale-head', expectedHeadOid: input.expectedHeadOid };
      return { kind: 'committed', oid: result.createCommitOnBranch.commit.oid, url: result.createCommitOnBranch.commit.url };
    },

    async enableAutoMerge(input) {
      const result = await call(
        { action: 'enable auto-merge', needs: PR_WRITE, expected: ['auto-merge-not-allowed', 'already-mergeable', 'stale-head'], retryNodeLag: true },
        () =>
          graphql(q.ENABLE_AUTO_MERGE_MUTATION, {
            input: { pullRequestId: input.pullRequestId, mergeMethod: MERGE_METHOD_ENUM[input.method], ...(input.expectedHeadOid === undefined ? {} : { expectedHeadOid: input.expectedHeadOid }) },
          }),
      );
      if (!(result instanceof Known)) return { kind: 'enabled', method: input.method };
      if (result.kind === 'auto-merge-not-allowed') return { kind: 'not-allowed' };
      if (result.kind === 'stale-head') return { kind: 'stale-head' };
      const status = /is in (\w+(?: \w+)?) status/i.exec(result.messages.join('\n'))?.[1] ?? 'clean';
      return { kind: 'already-mergeable', status: status.toLowerCase() };
    },

    async disableAutoMerge(pullRequestId) {
      await call({ action: 'disable auto-merge', needs: PR_WRITE }, () => graphql(q.DISABLE_AUTO_MERGE_MUTATION, { input: { pullRequestId } }));
    },

    async setDraft(pullRequestId, draft) {
      const action = draft ? 'convert the pull request to a draft' : 'mark the pull request ready for review';
      await call({ action, needs: PR_WRITE, retryNodeLag: true }, () => graphql(draft ? q.CONVERT_TO_DRAFT_MUTATION : q.READY_FOR_REVIEW_MUTATION, { input: { pullRequestId } }));
    },

    async enqueue(input) {
      const result = await call({ action: 'add the pull request to the merge queue', needs: CONTENTS_WRITE, expected: ['stale-head'], retryNodeLag: true }, () =>
        graphql<{ enqueuePullRequest: { mergeQueueEntry: { position: number | null } | null } }>(q.ENQUEUE_MUTATION, {
          input: { pullRequestId: input.pullRequestId, ...(input.expectedHeadOid === undefined ? {} : { expectedHeadOid: input.expectedHeadOid }) },
        }),
      );
      if (result instanceof Known) return { kind: 'stale-head' };
      return { kind: 'queued', position: result.enqueuePullRequest.mergeQueueEntry?.position ?? undefined };
    },

    async merge(input) {
      // 405 "not mergeable" (checks, reviews, conflicts) is an outcome the caller reports, not a failure of ours.
      const result = await call({ action: `merge pull request #${input.number}`, needs: PR_WRITE, expected: ['head-moved', 'requires-merge-queue', 'not-mergeable'] }, () =>
        octokit.rest.pulls.merge({ owner, repo, pull_number: input.number, merge_method: input.method, ...(input.sha === undefined ? {} : { sha: input.sha }) }),
      );
      if (result instanceof Known) {
        if (result.kind === 'head-moved') return { kind: 'head-moved' };
        if (result.kind === 'requires-merge-queue') return { kind: 'requires-merge-queue' };
        return { kind: 'not-mergeable', reason: result.messages.join('; ') };
      }
      return { kind: 'merged', sha: result.data.sha };
    },

    async tokenIdentity() {
      const result = await call({ action: 'read who the token acts as' }, () => graphql<{ viewer: { login: string } }>(q.VIEWER_QUERY, {}));
      if (result instanceof Known) throw notFound();
      const login = result.viewer.login;
      return { login, isGitHubActions: isGitHubActionsLogin(login), isBot: login.endsWith('[bot]') };
    },
  };

  function notFound(): UserError {
    const failure = { status: 404, messages: [`Could not resolve to a Repository with the name '${nameWithOwner}'.`], types: ['NOT_FOUND'], fields: [], acceptedPermissions: undefined };
    return userErrorFor(failure, failureContext('read the repository', undefined)) ?? unexpectedFailure(failure, failureContext('read the repository', undefined));
  }

  return client;
}

/** A Bottleneck-group stand-in that schedules at once (no client-side spacing of writes). */
function passThroughGroup(): unknown {
  const limiter = { schedule: (_options: unknown, fn: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(fn(...args)) };
  return { key: () => limiter };
}

interface RawRepository {
  id: string;
  nameWithOwner: string;
  url: string;
  defaultBranchRef: { name: string } | null;
  autoMergeAllowed: boolean;
  mergeCommitAllowed: boolean;
  squashMergeAllowed: boolean;
  rebaseMergeAllowed: boolean;
  deleteBranchOnMerge: boolean;
  viewerPermission: string | null;
}

type RawRef = { target: { oid: string } | null } | null;

interface RawPull {
  id: string;
  number: number;
  url: string;
  title: string;
  body: string;
  isDraft: boolean;
  state: string;
  headRefName: string;
  baseRefName: string;
  headRefOid: string;
  mergeStateStatus: string;
  isInMergeQueue: boolean;
  autoMergeRequest: { enabledAt: string | null; mergeMethod: string; enabledBy: { login: string } | null } | null;
  author: { login: string } | null;
  labels: { nodes: { name: string }[] } | null;
  reviewRequests: { nodes: { requestedReviewer: { __typename: string; login?: string; slug?: string } | null }[] } | null;
  latestReviews: { nodes: { state: string; author: { login: string } | null }[] } | null;
  assignees: { nodes: { login: string }[] };
  milestone: { number: number; title: string } | null;
  commits: {
    totalCount: number;
    nodes: { commit: { oid: string; message?: string; author: { name: string | null; email: string | null } | null; committer: { email: string | null; user: { login: string } | null } | null; signature: { isValid: boolean } | null } }[];
  };
}

function toRepositoryInfo(raw: RawRepository): RepositoryInfo {
  return {
    id: raw.id,
    nameWithOwner: raw.nameWithOwner,
    url: raw.url,
    defaultBranch: raw.defaultBranchRef?.name,
    autoMergeAllowed: raw.autoMergeAllowed,
    mergeCommitAllowed: raw.mergeCommitAllowed,
    squashMergeAllowed: raw.squashMergeAllowed,
    rebaseMergeAllowed: raw.rebaseMergeAllowed,
    deleteBranchOnMerge: raw.deleteBranchOnMerge,
    viewerPermission: raw.viewerPermission ?? undefined,
  };
}

function toPullRequestInfo(raw: RawPull): PullRequestInfo {
  const requested = (raw.reviewRequests?.nodes ?? []).map((node) => node.requestedReviewer).filter((r) => r !== null);
  const last = raw.commits.nodes[raw.commits.nodes.length - 1]?.commit;
  const headCommit: CommitSummary | undefined =
    last === undefined
      ? undefined
      : {
          oid: last.oid,
          message: last.message ?? '',
          authorName: last.author?.name ?? undefined,
          authorEmail: last.author?.email ?? undefined,
          committerLogin: last.committer?.user?.login ?? undefined,
          committerEmail: last.committer?.email ?? undefined,
          verified: last.signature?.isValid ?? false,
        };
  return {
    id: raw.id,
    number: raw.number,
    url: raw.url,
    title: raw.title,
    body: raw.body,
    isDraft: raw.isDraft,
    state: raw.state,
    headRefName: raw.headRefName,
    baseRefName: raw.baseRefName,
    headRefOid: raw.headRefOid,
    mergeStateStatus: raw.mergeStateStatus,
    isInMergeQueue: raw.isInMergeQueue,
    autoMerge:
      raw.autoMergeRequest === null
        ? undefined
        : { method: raw.autoMergeRequest.mergeMethod.toLowerCase() as MergeMethod, enabledAt: raw.autoMergeRequest.enabledAt ?? undefined, enabledBy: raw.autoMergeRequest.enabledBy?.login },
    labels: (raw.labels?.nodes ?? []).map((label) => label.name),
    requestedReviewers: requested.filter((r) => r.__typename !== 'Team' && r.login !== undefined).map((r) => r.login as string),
    requestedTeams: requested.filter((r) => r.__typename === 'Team' && r.slug !== undefined).map((r) => r.slug as string),
    latestReviews: (raw.latestReviews?.nodes ?? []).flatMap((review) => (review.author === null ? [] : [{ login: review.author.login, state: review.state }])),
    assignees: raw.assignees.nodes.map((assignee) => assignee.login),
    milestone: raw.milestone ?? undefined,
    author: raw.author?.login,
    commitCount: raw.commits.totalCount,
    headCommit,
  };
}

/** The login of the workflow's GITHUB_TOKEN (as GraphQL's viewer and REST name it): its PRs start no workflow runs. */
export function isGitHubActionsLogin(login: string | undefined): boolean {
  return login === 'github-actions[bot]' || login === 'github-actions';
}
