/**
 * A strict local GitHub (REST + GraphQL) for tests, the demo and the workflow tests. The real Octokit talks to it
 * unchanged (`GITHUB_API_URL` = `.url`, GraphQL at `.graphqlUrl`; GHES-style `/api/v3` and `/api/graphql` work too).
 *
 * Strict means: every REST request and every response is validated against GitHub's OpenAPI description, every
 * GraphQL document and its variables against GitHub's schema. What GitHub would refuse is refused the same way AND
 * recorded in `violations`, which a test asserts empty; a response of ours that breaks the description is a stand-in
 * bug: recorded, printed, and answered 500. Repository contents live in real bare git repositories.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DomainError } from './domain.ts';
import { runGraphQL, githubSchema } from './graphql.ts';
import { preloadOpenApi, validateRequest, validateResponse } from './openapi.ts';
import { matchRoute, templatePath, type Core, type RestReply } from './rest.ts';
import { basicError, validationError } from './shapes.ts';
import {
  StandInState,
  type MilestoneState,
  type PullState,
  type RepoSettings,
  type RepoState,
  type ReviewStateName,
  type TokenConfig,
  type TokenState,
} from './state.ts';

export type { TokenConfig, RepoSettings, PullState, RepoState } from './state.ts';
export { createSeededBareRepository, GitStore } from './git-store.ts';

/** The token a stand-in accepts when none are configured: the workflow's GITHUB_TOKEN with the usual write scopes. */
export const DEFAULT_TOKEN = 'ghs_standInDefaultToken0000000000000000';

export interface RepoOptions {
  /** The bare git repository holding its branches. */
  readonly gitDir: string;
  readonly defaultBranch?: string;
  readonly settings?: Partial<RepoSettings>;
}

export interface GitHubStandInOptions {
  /** `owner/name` -> bare repository path (or options). */
  readonly repos: Record<string, string | RepoOptions>;
  /** Accepted tokens; default: DEFAULT_TOKEN as github-actions[bot] with contents, pull-requests and issues write. */
  readonly tokens?: readonly TokenConfig[];
  readonly port?: number;
  /** The web base of html_url fields (default https://github.com). */
  readonly htmlUrl?: string;
}

export interface RecordedRequest {
  readonly kind: 'rest' | 'graphql';
  readonly method: string;
  /** Path and query as received (tests assert no token ever appears here). */
  readonly url: string;
  /** `GET /repos/{owner}/{repo}/pulls`, or `graphql mutation createCommitOnBranch`. */
  readonly route: string;
  readonly operationId: string | undefined;
  readonly write: boolean;
  readonly status: number;
  /** The login of the token used, when it was known. */
  readonly login: string | undefined;
}

export interface Violation {
  readonly kind: 'unknown-route' | 'invalid-request' | 'invalid-graphql' | 'invalid-response' | 'graphql-resolver';
  readonly route: string;
  readonly messages: readonly string[];
}

export interface RequestCounts {
  readonly total: number;
  readonly rest: number;
  readonly graphql: number;
  readonly reads: number;
  readonly writes: number;
  readonly byRoute: Record<string, number>;
}

export interface Faults {
  /** The next pull request created is not yet visible to node lookups (the 422 right after creation), `times` times. */
  nodeLagOnce(times?: number): void;
  /** The next request gets GitHub's secondary rate limit: 403 with `retry-after`. */
  secondaryRateLimitOnce(options?: { retryAfterSeconds?: number }): void;
  /** The next request gets the primary rate limit: 403, `x-ratelimit-remaining: 0`, `x-ratelimit-reset`. */
  primaryRateLimitOnce(options?: { resetInSeconds?: number }): void;
  /** The next request for `target` (a REST operationId such as `git/update-ref`, or a GraphQL root field) fails so. */
  failOnce(target: string, reply: { status: number; message: string; type?: string }): void;
  /** Runs `action` just before the next request for `target` is handled (e.g. push to the branch to race a write). */
  beforeNext(target: string, action: () => unknown): void;
}

export interface GitHubStandIn {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  readonly faults: Faults;
  readonly state: StandInState;
  /** Changes a repository's settings (merge queue, auto-merge, protected branches ...). */
  settings(repo: string, settings: Partial<RepoSettings>): RepoSettings;
  /** The pull requests of a repository (live objects: a test may change e.g. `mergeStateOverride`). */
  pulls(repo: string): PullState[];
  repo(repo: string): RepoState;
  /** A review by `login` on PR `number` of the current head. */
  addReview(repo: string, number: number, review: { login: string; state: ReviewStateName; body?: string }): Promise<void>;
  addMilestone(repo: string, title: string): MilestoneState;
  addLabel(repo: string, name: string, color?: string): void;
  /** Merges the queued PRs of `base`, oldest first (what the merge queue would do once checks pass). */
  processMergeQueue(repo: string, base: string): Promise<number[]>;
  counts(since?: number): RequestCounts;
  /** Forgets recorded requests (violations are kept). */
  resetRequests(): void;
  stop(): Promise<void>;
}

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:STAND:IN.';

export async function startGitHubStandIn(options: GitHubStandInOptions): Promise<GitHubStandIn> {
  // Pay for the description and the schema before the first request, not inside it.
  preloadOpenApi();
  githubSchema();
  const state = new StandInState();
  for (const config of options.tokens ?? [{ token: DEFAULT_TOKEN, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } }]) {
    state.addToken(config);
  }
  for (const [fullName, value] of Object.entries(options.repos)) {
    const repoOptions = typeof value === 'string' ? { gitDir: value } : value;
    state.addRepo(fullName, repoOptions.gitDir, repoOptions.settings, repoOptions.defaultBranch);
  }
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const pending: { secondary: number[]; primary: number[]; failures: Map<string, { status: number; message: string; type?: string }[]>; hooks: Map<string, (() => unknown)[]> } = {
    secondary: [],
    primary: [],
    failures: new Map(),
    hooks: new Map(),
  };
  const core: Core = { state, shapes: { state, api: '', html: options.htmlUrl ?? 'https://github.com' }, nextPullLag: 0 };

  const violation = (v: Violation): void => {
    violations.push(v);
    if (v.kind === 'invalid-response' || v.kind === 'graphql-resolver') console.error(`GitHub stand-in bug (${v.route}): ${v.messages.join('; ')}`);
  };

  const takeFailure = (target: string): { status: number; message: string; type?: string } | undefined => {
    const list = pending.failures.get(target);
    return list?.shift();
  };
  const runHooks = async (target: string): Promise<void> => {
    const list = pending.hooks.get(target);
    const hook = list?.shift();
    if (hook !== undefined) await hook();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'))
        .then((reply) => send(res, reply))
        .catch((error: unknown) => {
          console.error('GitHub stand-in crashed on a request:', error);
          send(res, { status: 500, body: basicError(`stand-in error: ${String(error)}`) });
        });
    });
  });

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
    };
  }

  function send(res: http.ServerResponse, reply: RestReply): void {
    const headers: Record<string, string> = { 'x-github-request-id': randomUUID(), 'x-github-api-version-selected': '2022-11-28', ...rateHeaders(), ...reply.headers };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(reply.body));
  }

  function authenticate(req: http.IncomingMessage): TokenState | RestReply {
    const header = req.headers.authorization ?? '';
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    if (match === null) return { status: 401, body: basicError('Requires authentication', 'https://docs.github.com/rest', 401) };
    const token = state.tokens.get(match[1] as string);
    return token ?? { status: 401, body: basicError('Bad credentials', 'https://docs.github.com/rest', 401) };
  }

  function rateLimitFault(): RestReply | undefined {
    const secondary = pending.secondary.shift();
    if (secondary !== undefined) {
      return {
        status: 403,
        headers: { 'retry-after': String(secondary) },
        body: basicError(SECONDARY_MESSAGE, 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits', 403),
      };
    }
    const primary = pending.primary.shift();
    if (primary !== undefined) {
      return {
        status: 403,
        headers: { ...rateHeaders(), 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + primary) },
        body: basicError('API rate limit exceeded for installation ID 1.', 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api', 403),
      };
    }
    return undefined;
  }

  async function handle(req: http.IncomingMessage, text: string): Promise<RestReply> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, 'http://stand-in');
    let pathname = url.pathname;
    const isGraphQL = pathname === '/graphql' || pathname === '/api/graphql';
    if (!isGraphQL && pathname.startsWith('/api/v3/')) pathname = pathname.slice('/api/v3'.length);
    const record = (entry: Omit<RecordedRequest, 'method' | 'url'>): void => void requests.push({ method, url: rawUrl, ...entry });

    const auth = authenticate(req);
    if (!('token' in auth)) {
      record({ kind: isGraphQL ? 'graphql' : 'rest', route: `${method} ${pathname}`, operationId: undefined, write: method !== 'GET', status: auth.status, login: undefined });
      return auth;
    }
    const token = auth;
    const limited = rateLimitFault();

    if (isGraphQL) {
      let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
      try {
        payload = JSON.parse(text) as typeof payload;
      } catch {
        violation({ kind: 'invalid-graphql', route: 'graphql', messages: ['body is not JSON'] });
        record({ kind: 'graphql', route: 'graphql', operationId: undefined, write: false, status: 400, login: token.login });
        return { status: 400, body: basicError('Problems parsing JSON') };
      }
      if (limited !== undefined) {
        record({ kind: 'graphql', route: 'graphql', operationId: undefined, write: false, status: limited.status, login: token.login });
        return limited;
      }
      const outcome = await runGraphQLWithFaults(token, payload);
      const route = `graphql ${outcome.operation} ${outcome.fields.join(',')}`;
      if (outcome.refused.length > 0) violation({ kind: 'invalid-graphql', route, messages: outcome.refused });
      if (outcome.bugs.length > 0) violation({ kind: 'graphql-resolver', route, messages: outcome.bugs });
      record({ kind: 'graphql', route, operationId: outcome.operationName, write: outcome.operation === 'mutation', status: 200, login: token.login });
      return { status: 200, body: outcome.body };
    }

    const match = matchRoute(method, pathname);
    if (match === undefined || match === 'method-not-allowed') {
      violation({ kind: 'unknown-route', route: `${method} ${pathname}`, messages: ['no such route in the stand-in (is it a GitHub endpoint the suite should use?)'] });
      record({ kind: 'rest', route: `${method} ${pathname}`, operationId: undefined, write: method !== 'GET', status: 404, login: token.login });
      return { status: 404, body: basicError('Not Found') };
    }
    const { route, params } = match;
    const routeName = `${route.method} ${route.template}`;
    const finish = (reply: RestReply): RestReply => {
      record({ kind: 'rest', route: routeName, operationId: route.operationId, write: route.write, status: reply.status, login: token.login });
      return reply;
    };
    if (limited !== undefined) return finish(limited);

    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        violation({ kind: 'invalid-request', route: routeName, messages: ['body is not JSON'] });
        return finish({ status: 400, body: basicError('Problems parsing JSON') });
      }
    }
    const query: Record<string, string> = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
    const problems = validateRequest(route.template, { method, path: templatePath(route.template, params), query, headers, body });
    if (problems.length > 0) {
      violation({ kind: 'invalid-request', route: routeName, messages: problems });
      return finish({ status: 422, body: basicError(`Invalid request.\n\n${problems.join('\n')}`, 'https://docs.github.com/rest', 422) });
    }

    let reply: RestReply;
    try {
      const repo = params.owner !== undefined && params.repo !== undefined ? state.repo(params.owner, params.repo) : undefined;
      if (params.owner !== undefined && repo === undefined) throw new DomainError(404, 'NOT_FOUND', 'Not Found');
      await runHooks(route.operationId);
      const failure = takeFailure(route.operationId);
      if (failure !== undefined) throw new DomainError(failure.status, failure.type ?? 'UNPROCESSABLE', failure.message);
      reply = await route.handle({ params, query: url.searchParams, body, token, repo: repo as RepoState }, core);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      reply = {
        status: error.status,
        headers: error.headers,
        body:
          error.validation !== undefined
            ? validationError(error.validation)
            : { ...basicError(error.message, error.headers['x-documentation-url'] ?? 'https://docs.github.com/rest', error.status), ...(error.errors === undefined ? {} : { errors: error.errors }) },
      };
    }
    const wrong = validateResponse(route.template, route.method, reply.status, reply.body ?? null);
    if (reply.status !== 204 && wrong.length > 0) {
      violation({ kind: 'invalid-response', route: `${routeName} -> ${reply.status}`, messages: wrong });
      return finish({ status: 500, body: basicError(`stand-in bug: its ${reply.status} reply breaks the OpenAPI description: ${wrong.slice(0, 5).join('; ')}`) });
    }
    return finish(reply);
  }

  async function runGraphQLWithFaults(token: TokenState, payload: { query?: unknown; variables?: unknown; operationName?: unknown }) {
    // Faults and hooks address GraphQL by root field (`createCommitOnBranch`); peek at the document to find it.
    const fields = typeof payload.query === 'string' ? [...payload.query.matchAll(/\b(createCommitOnBranch|enablePullRequestAutoMerge|disablePullRequestAutoMerge|enqueuePullRequest|mergePullRequest|addLabelsToLabelable|convertPullRequestToDraft|markPullRequestReadyForReview|repository|node|viewer)\b/g)].map((m) => m[1] as string) : [];
    for (const field of new Set(fields)) await runHooks(field);
    for (const field of new Set(fields)) {
      const failure = takeFailure(field);
      if (failure !== undefined) {
        return {
          body: { data: { [field]: null }, errors: [{ type: failure.type ?? 'UNPROCESSABLE', path: [field], locations: [], message: failure.message }] },
          fields: [field],
          operation: (/^\s*mutation\b/.test(String(payload.query)) ? 'mutation' : 'query') as 'mutation' | 'query',
          operationName: undefined,
          refused: [],
          bugs: [],
        };
      }
    }
    return runGraphQL(core, token, payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  (core.shapes as { api: string }).api = url;

  const repoOf = (name: string): RepoState => {
    const [owner = '', repoName = ''] = name.split('/');
    const repo = state.repo(owner, repoName);
    if (repo === undefined) throw new Error(`the stand-in serves no repository ${name}`);
    return repo;
  };

  const faults: Faults = {
    nodeLagOnce: (times = 1) => void (core.nextPullLag = times),
    secondaryRateLimitOnce: (o = {}) => void pending.secondary.push(o.retryAfterSeconds ?? 1),
    primaryRateLimitOnce: (o = {}) => void pending.primary.push(o.resetInSeconds ?? 1),
    failOnce: (target, reply) => void pending.failures.set(target, [...(pending.failures.get(target) ?? []), reply]),
    beforeNext: (target, action) => void pending.hooks.set(target, [...(pending.hooks.get(target) ?? []), action]),
  };

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    requests,
    violations,
    faults,
    state,
    settings: (name, settings) => Object.assign(repoOf(name).settings, settings),
    pulls: (name) => [...repoOf(name).pulls.values()],
    repo: repoOf,
    async addReview(name, number, review) {
      const repo = repoOf(name);
      const pull = repo.pulls.get(number);
      if (pull === undefined) throw new Error(`no PR #${number} in ${name}`);
      const id = state.newId();
      const commitId = (await repo.git.branchHead(pull.head)) ?? pull.headShaWhenGone ?? '';
      pull.reviews.push({ id, nodeId: state.nodeId('PRR', id, { kind: 'user', login: review.login }), user: review.login, state: review.state, body: review.body ?? '', commitId, submittedAt: new Date().toISOString() });
      pull.requestedReviewers = pull.requestedReviewers.filter((login) => login.toLowerCase() !== review.login.toLowerCase());
    },
    addMilestone: (name, title) => state.addMilestone(repoOf(name), title),
    addLabel: (name, label, color = 'ededed') => void state.label(repoOf(name), label, true, color),
    async processMergeQueue(name, base) {
      const repo = repoOf(name);
      const merged: number[] = [];
      const { mergePull } = await import('./domain.ts');
      for (const pull of [...repo.pulls.values()].filter((p) => p.inMergeQueue && p.base === base)) {
        const bot = state.addToken({ token: `merge-queue-${randomUUID()}`, login: 'github-merge-queue[bot]' });
        await mergePull(state, repo, pull, bot, { method: 'MERGE', viaQueue: true });
        merged.push(pull.number);
      }
      return merged;
    },
    counts(since = 0) {
      const slice = requests.slice(since);
      const byRoute: Record<string, number> = {};
      for (const r of slice) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
      return {
        total: slice.length,
        rest: slice.filter((r) => r.kind === 'rest').length,
        graphql: slice.filter((r) => r.kind === 'graphql').length,
        reads: slice.filter((r) => !r.write).length,
        writes: slice.filter((r) => r.write).length,
        byRoute,
      };
    },
    resetRequests: () => void requests.splice(0),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
