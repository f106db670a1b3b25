/**
 * The REST operations the suite uses, each with its OpenAPI path template and operationId (the server validates the
 * request and our reply against that operation). Behaviour and error texts follow GitHub (see
 * /work/shared/reference/github-api.md); the shapes come from `shapes.ts`.
 */
import { ZERO_OID } from './git-store.ts';
import {
  DomainError,
  checkNodeVisible,
  headSha,
  mergePull,
  pullFacts,
  refuseLabelCreation,
  refuseProtected,
  refuseTeamLookup,
  requirePermission,
  verifiedCommits,
} from './domain.ts';
import * as shape from './shapes.ts';
import type { MergeMethod, PullState, RepoState, StandInState, TokenState } from './state.ts';

export interface Core {
  readonly state: StandInState;
  readonly shapes: shape.ShapeContext;
  /** Armed by `faults.nodeLagOnce()`: the next created PR is invisible to node lookups this many times. */
  nextPullLag: number;
}

export interface RestCall {
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  // Validated against the operation's schema before the handler runs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly token: TokenState;
  /** The repository of `/repos/{owner}/{repo}/…` routes (404 before the handler when unknown). */
  readonly repo: RepoState;
}

export interface RestReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface Route {
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  readonly write: boolean;
  handle(call: RestCall, core: Core): Promise<RestReply>;
}

const DOCS = {
  pulls: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
  refs: 'https://docs.github.com/rest/git/refs',
  labels: 'https://docs.github.com/rest/issues/labels',
  reviewers: 'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request',
};

const ok = (body: unknown, status = 200): RestReply => ({ status, body });
const notFound = (documentation = 'https://docs.github.com/rest'): never => {
  throw new DomainError(404, 'NOT_FOUND', 'Not Found', { headers: { 'x-documentation-url': documentation } });
};
const invalid = (items: { resource: string; code: string; field?: string; message?: string }[]): never => {
  throw new DomainError(422, 'UNPROCESSABLE', 'Validation Failed', { validation: items });
};

function pullOf(call: RestCall, param = 'pull_number'): PullState {
  const pull = call.repo.pulls.get(Number(call.params[param]));
  return pull ?? notFound();
}

async function simpleShape(core: Core, repo: RepoState, pull: PullState): Promise<unknown> {
  const facts = await pullFacts(repo, pull);
  return shape.pullRequestSimple(core.shapes, repo, pull, { ...facts, mergeableState: facts.mergeStateStatus.toLowerCase() });
}

async function fullShape(core: Core, repo: RepoState, pull: PullState): Promise<unknown> {
  const facts = await pullFacts(repo, pull);
  return shape.pullRequest(core.shapes, repo, pull, { ...facts, mergeableState: facts.mergeStateStatus.toLowerCase() });
}

function touch(pull: PullState): void {
  pull.updatedAt = new Date().toISOString();
}

function labelsReply(core: Core, repo: RepoState, pull: PullState): RestReply {
  return ok(pull.labels.flatMap((name) => {
    const label = repo.labels.get(name.toLowerCase());
    return label === undefined ? [] : [shape.label(core.shapes, repo, label)];
  }));
}

/** Refuses (before anything changes) when `names` holds a label the repository lacks and the token may not create it. */
function checkLabelNames(token: TokenState, repo: RepoState, names: readonly string[]): void {
  if (names.some((name) => !repo.labels.has(name.toLowerCase()))) refuseLabelCreation(token);
}

function addLabelNames(core: Core, repo: RepoState, pull: PullState, names: readonly string[]): void {
  for (const name of names) {
    const label = core.state.label(repo, name, true);
    if (label !== undefined && !pull.labels.some((existing) => existing.toLowerCase() === label.name.toLowerCase())) pull.labels.push(label.name);
  }
}

/** Logins that may be assigned or requested (everyone when the repository does not list collaborators). */
function isCollaborator(repo: RepoState, login: string): boolean {
  return repo.settings.collaborators === undefined || repo.settings.collaborators.some((c) => c.toLowerCase() === login.toLowerCase()) || login === repo.owner;
}

/** `heads/main` from a ref path parameter; GitHub refuses a `refs/` prefix on these routes. */
function branchOfRef(ref: string): string | undefined {
  return ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined;
}

async function repoPushedAt(repo: RepoState): Promise<string> {
  const tip = await repo.git.branchHead(repo.defaultBranch);
  const date = tip === undefined ? repo.createdAt : (await repo.git.commit(tip)).committer.date;
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const routes: Route[] = [
  {
    method: 'GET',
    template: '/user',
    operationId: 'users/get-authenticated',
    write: false,
    async handle(call, core) {
      // An installation token (GITHUB_TOKEN, App) is no user: GitHub refuses /user for it.
      if (call.token.type === 'Bot') throw new DomainError(403, 'FORBIDDEN', 'Resource not accessible by integration');
      const user = core.state.user(call.token.login);
      return ok({
        ...shape.simpleUser(core.shapes, user),
        name: call.token.login,
        company: null,
        blog: '',
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
      });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    operationId: 'repos/get',
    write: false,
    async handle(call, core) {
      const push = call.token.permissions === undefined || call.token.permissions.contents === 'write';
      return ok(shape.fullRepository(core.shapes, call.repo, await repoPushedAt(call.repo), push));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls',
    operationId: 'pulls/list',
    write: false,
    async handle(call, core) {
      requirePermission(call.token, 'read', 'pull-requests');
      const stateFilter = call.query.get('state') ?? 'open';
      const head = call.query.get('head');
      const base = call.query.get('base');
      let pulls = [...call.repo.pulls.values()].sort((a, b) => b.number - a.number);
      if (stateFilter !== 'all') pulls = pulls.filter((pull) => pull.state === stateFilter);
      // GitHub honours `head` only as `owner:branch`; a bare branch name is silently ignored.
      if (head !== null && head.includes(':')) {
        const [owner, branch] = head.split(':', 2) as [string, string];
        pulls = owner.toLowerCase() === call.repo.owner.toLowerCase() ? pulls.filter((pull) => pull.head === branch) : [];
      }
      if (base !== null) pulls = pulls.filter((pull) => pull.base === base);
      const perPage = Math.min(100, Number(call.query.get('per_page') ?? 30));
      const page = Number(call.query.get('page') ?? 1);
      const slice = pulls.slice((page - 1) * perPage, page * perPage);
      return ok(await Promise.all(slice.map((pull) => simpleShape(core, call.repo, pull))));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}',
    operationId: 'pulls/get',
    write: false,
    async handle(call, core) {
      requirePermission(call.token, 'read', 'pull-requests');
      return ok(await fullShape(core, call.repo, pullOf(call)));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/pulls',
    operationId: 'pulls/create',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'pull-requests');
      const repo = call.repo;
      if (call.token.isActions && !repo.settings.actionsCanCreatePullRequests) {
        throw new DomainError(403, 'FORBIDDEN', 'GitHub Actions is not permitted to create or approve pull requests.');
      }
      const { title, base, body, draft, maintainer_can_modify: maintainerCanModify } = call.body as {
        title?: string;
        head: string;
        base: string;
        body?: string;
        draft?: boolean;
        maintainer_can_modify?: boolean;
      };
      let head: string = call.body.head;
      if (head.includes(':')) {
        const [owner, branch] = head.split(':', 2) as [string, string];
        if (owner.toLowerCase() !== repo.owner.toLowerCase()) invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
        head = branch;
      }
      if (title === undefined || title.trim() === '') invalid([{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
      if (body !== undefined && body.length > 65536) invalid([{ resource: 'Issue', field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' }]);
      const baseTip = await repo.git.branchHead(base);
      if (baseTip === undefined) invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      const headTip = await repo.git.branchHead(head);
      if (headTip === undefined) invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      const ahead = head === base ? [] : await repo.git.commitsBetween(baseTip as string, headTip as string);
      // From here on nothing awaits until the PR is stored: the "already exists" check and the insert are one step.
      const existing = [...repo.pulls.values()].find((pull) => pull.state === 'open' && pull.head === head && pull.base === base);
      if (existing !== undefined) invalid([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${head}.` }]);
      if (ahead.length === 0) invalid([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }]);
      const id = core.state.newId();
      const number = repo.nextNumber++;
      const now = new Date().toISOString();
      const pull: PullState = {
        number,
        id,
        nodeId: core.state.nodeId('PR', id, { kind: 'pull', repo, number }),
        user: call.token.login,
        title: title as string,
        body: body ?? null,
        state: 'open',
        merged: false,
        mergedAt: null,
        mergedBy: null,
        mergeCommitSha: null,
        draft: draft ?? false,
        head,
        base,
        headShaWhenGone: null,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
        labels: [],
        assignees: [],
        requestedReviewers: [],
        requestedTeams: [],
        reviews: [],
        milestone: null,
        autoMerge: null,
        inMergeQueue: false,
        maintainerCanModify: maintainerCanModify ?? false,
        mergeStateOverride: null,
        lagRemaining: core.nextPullLag,
      };
      core.nextPullLag = 0;
      repo.pulls.set(number, pull);
      return ok(await fullShape(core, repo, pull), 201);
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}',
    operationId: 'pulls/update',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'pull-requests');
      const repo = call.repo;
      const pull = pullOf(call);
      const { title, body, state, base, maintainer_can_modify: maintainerCanModify } = call.body as {
        title?: string;
        body?: string;
        state?: 'open' | 'closed';
        base?: string;
        maintainer_can_modify?: boolean;
      };
      if (body !== undefined && body.length > 65536) invalid([{ resource: 'Issue', field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' }]);
      if (base !== undefined && base !== pull.base) {
        if ((await repo.git.branchHead(base)) === undefined) invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      }
      if (state === 'open' && pull.state === 'closed') {
        if (pull.merged) invalid([{ resource: 'PullRequest', code: 'custom', field: 'state', message: 'state cannot be changed. The pull request has been merged.' }]);
        if ((await repo.git.branchHead(pull.head)) === undefined) {
          invalid([{ resource: 'PullRequest', code: 'custom', field: 'state', message: `state cannot be changed. The ${pull.head} branch has been deleted.` }]);
        }
      }
      if (title !== undefined) pull.title = title;
      if (body !== undefined) pull.body = body;
      if (base !== undefined) pull.base = base;
      if (maintainerCanModify !== undefined) pull.maintainerCanModify = maintainerCanModify;
      if (state === 'closed' && pull.state === 'open') {
        pull.headShaWhenGone = await headSha(repo, pull);
        pull.state = 'closed';
        pull.closedAt = new Date().toISOString();
        pull.autoMerge = null;
        pull.inMergeQueue = false;
      } else if (state === 'open' && pull.state === 'closed') {
        pull.state = 'open';
        pull.closedAt = null;
        pull.headShaWhenGone = null;
      }
      touch(pull);
      return ok(await fullShape(core, repo, pull));
    },
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
    operationId: 'pulls/merge',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'pull-requests');
      const pull = pullOf(call);
      const input = (call.body ?? {}) as { commit_title?: string; commit_message?: string; sha?: string; merge_method?: string };
      const method = (input.merge_method ?? 'merge').toUpperCase() as MergeMethod;
      const sha = await mergePull(core.state, call.repo, pull, call.token, {
        method,
        expectedHeadSha: input.sha,
        title: input.commit_title,
        message: input.commit_message,
      });
      return ok({ sha, merged: true, message: 'Pull Request successfully merged' });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
    operationId: 'pulls/list-reviews',
    write: false,
    async handle(call, core) {
      const pull = pullOf(call);
      return ok(pull.reviews.map((review) => shape.review(core.shapes, call.repo, pull, review)));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    operationId: 'pulls/request-reviewers',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'pull-requests');
      const repo = call.repo;
      const pull = pullOf(call);
      checkNodeVisible(pull);
      const { reviewers = [], team_reviewers: teams = [] } = (call.body ?? {}) as { reviewers?: string[]; team_reviewers?: string[] };
      if (reviewers.some((login) => login.toLowerCase() === pull.user.toLowerCase())) {
        invalid([{ resource: 'PullRequest', code: 'custom', message: 'Review cannot be requested from pull request author.' }]);
      }
      for (const slug of teams) if (repo.settings.teams.includes(slug)) refuseTeamLookup(call.token, repo, slug);
      const strangers = reviewers.filter((login) => !isCollaborator(repo, login));
      const unknownTeams = teams.filter((slug) => !repo.settings.teams.includes(slug));
      if (strangers.length > 0 || unknownTeams.length > 0) {
        invalid([
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
          },
        ]);
      }
      for (const login of reviewers) if (!pull.requestedReviewers.some((r) => r.toLowerCase() === login.toLowerCase())) pull.requestedReviewers.push(login);
      for (const slug of teams) if (!pull.requestedTeams.includes(slug)) pull.requestedTeams.push(slug);
      touch(pull);
      return ok(await simpleShape(core, repo, pull), 201);
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    operationId: 'pulls/remove-requested-reviewers',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'pull-requests');
      const pull = pullOf(call);
      const { reviewers = [], team_reviewers: teams = [] } = (call.body ?? {}) as { reviewers?: string[]; team_reviewers?: string[] };
      pull.requestedReviewers = pull.requestedReviewers.filter((r) => !reviewers.some((x) => x.toLowerCase() === r.toLowerCase()));
      pull.requestedTeams = pull.requestedTeams.filter((t) => !teams.includes(t));
      touch(pull);
      return ok(await simpleShape(core, call.repo, pull));
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/issues/{issue_number}',
    operationId: 'issues/update',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const repo = call.repo;
      const pull = pullOf(call, 'issue_number');
      const input = (call.body ?? {}) as { title?: string; body?: string; state?: 'open' | 'closed'; milestone?: number | string | null; labels?: string[]; assignees?: string[] };
      if (input.labels !== undefined) checkLabelNames(call.token, repo, input.labels);
      if (input.milestone !== undefined) {
        if (input.milestone === null) pull.milestone = null;
        else {
          const number = Number(input.milestone);
          if (!repo.milestones.some((m) => m.number === number)) invalid([{ resource: 'Issue', field: 'milestone', code: 'invalid' }]);
          pull.milestone = number;
        }
      }
      if (input.title !== undefined) pull.title = input.title;
      if (input.body !== undefined) pull.body = input.body;
      if (input.labels !== undefined) {
        pull.labels = [];
        addLabelNames(core, repo, pull, input.labels);
      }
      if (input.assignees !== undefined) pull.assignees = input.assignees.filter((login) => isCollaborator(repo, login));
      if (input.state === 'closed' && pull.state === 'open') {
        pull.headShaWhenGone = await headSha(repo, pull);
        pull.state = 'closed';
        pull.closedAt = new Date().toISOString();
      }
      touch(pull);
      return ok(shape.issue(core.shapes, repo, pull));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    operationId: 'issues/add-labels',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const pull = pullOf(call, 'issue_number');
      checkNodeVisible(pull);
      checkLabelNames(call.token, call.repo, (call.body as { labels: string[] }).labels);
      addLabelNames(core, call.repo, pull, (call.body as { labels: string[] }).labels);
      touch(pull);
      return labelsReply(core, call.repo, pull);
    },
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    operationId: 'issues/set-labels',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const pull = pullOf(call, 'issue_number');
      checkNodeVisible(pull);
      checkLabelNames(call.token, call.repo, ((call.body ?? {}) as { labels?: string[] }).labels ?? []);
      pull.labels = [];
      addLabelNames(core, call.repo, pull, ((call.body ?? {}) as { labels?: string[] }).labels ?? []);
      touch(pull);
      return labelsReply(core, call.repo, pull);
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
    operationId: 'issues/remove-label',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const pull = pullOf(call, 'issue_number');
      const name = call.params.name ?? '';
      const index = pull.labels.findIndex((label) => label.toLowerCase() === name.toLowerCase());
      if (index < 0) throw new DomainError(404, 'NOT_FOUND', 'Label does not exist');
      pull.labels.splice(index, 1);
      touch(pull);
      return labelsReply(core, call.repo, pull);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/labels/{name}',
    operationId: 'issues/get-label',
    write: false,
    async handle(call, core) {
      const label = call.repo.labels.get((call.params.name ?? '').toLowerCase());
      return label === undefined ? notFound(DOCS.labels) : ok(shape.label(core.shapes, call.repo, label));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/labels',
    operationId: 'issues/create-label',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      refuseLabelCreation(call.token);
      const { name, color, description } = call.body as { name: string; color?: string; description?: string };
      if (call.repo.labels.has(name.toLowerCase())) invalid([{ resource: 'Label', code: 'already_exists', field: 'name' }]);
      if (color !== undefined && !/^[0-9a-fA-F]{6}$/.test(color)) invalid([{ resource: 'Label', code: 'invalid', field: 'color' }]);
      const label = core.state.label(call.repo, name, true, (color ?? 'ededed').toLowerCase());
      if (label !== undefined) label.description = description ?? null;
      return ok(shape.label(core.shapes, call.repo, label!), 201);
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/assignees',
    operationId: 'issues/add-assignees',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const pull = pullOf(call, 'issue_number');
      checkNodeVisible(pull);
      // GitHub silently skips logins that cannot be assigned.
      for (const login of ((call.body ?? {}) as { assignees?: string[] }).assignees ?? []) {
        if (isCollaborator(call.repo, login) && !pull.assignees.some((a) => a.toLowerCase() === login.toLowerCase())) pull.assignees.push(login);
      }
      touch(pull);
      return ok(shape.issue(core.shapes, call.repo, pull), 201);
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    operationId: 'issues/create-comment',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'issues', 'pull-requests');
      const pull = pullOf(call, 'issue_number');
      checkNodeVisible(pull);
      const body = (call.body as { body: string }).body;
      if (body.length > 65536) invalid([{ resource: 'IssueComment', field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' }]);
      const id = core.state.newId();
      const comment = { id, nodeId: core.state.nodeId('IC', id, { kind: 'user', login: call.token.login }), issueNumber: pull.number, user: call.token.login, body, createdAt: new Date().toISOString() };
      call.repo.comments.push(comment);
      return ok(shape.issueComment(core.shapes, call.repo, comment), 201);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    operationId: 'issues/list-comments',
    write: false,
    async handle(call, core) {
      const pull = pullOf(call, 'issue_number');
      return ok(call.repo.comments.filter((c) => c.issueNumber === pull.number).map((c) => shape.issueComment(core.shapes, call.repo, c)));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/milestones',
    operationId: 'issues/list-milestones',
    write: false,
    async handle(call, core) {
      const state = call.query.get('state') ?? 'open';
      return ok(call.repo.milestones.filter((m) => state === 'all' || m.state === state).map((m) => shape.milestone(core.shapes, call.repo, m)));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/ref/{ref}',
    operationId: 'git/get-ref',
    write: false,
    async handle(call, core) {
      const ref = call.params.ref ?? '';
      const oid = await call.repo.git.resolveRef(`refs/${ref}`);
      return oid === undefined ? notFound(DOCS.refs) : ok(shape.gitRef(core.shapes, call.repo, `refs/${ref}`, oid));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/refs',
    operationId: 'git/create-ref',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'contents');
      const { ref, sha } = call.body as { ref: string; sha: string };
      if (!/^refs\/[^/]+\/.+/.test(ref)) invalid([{ resource: 'Reference', code: 'custom', field: 'ref', message: 'Reference name must start with \'refs/\' and have at least two slashes.' }]);
      if (!(await call.repo.git.commitExists(sha))) throw new DomainError(422, 'UNPROCESSABLE', 'Object does not exist');
      if (ref.startsWith('refs/heads/')) refuseProtected(call.repo, ref.slice('refs/heads/'.length));
      if (!(await call.repo.git.compareAndSwap(ref, sha, ZERO_OID))) throw new DomainError(422, 'UNPROCESSABLE', 'Reference already exists');
      return ok(shape.gitRef(core.shapes, call.repo, ref, sha), 201);
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/git/refs/{ref}',
    operationId: 'git/update-ref',
    write: true,
    async handle(call, core) {
      requirePermission(call.token, 'write', 'contents');
      const ref = call.params.ref ?? '';
      const { sha, force } = call.body as { sha: string; force?: boolean };
      // The path takes `heads/b`; with the `refs/` prefix GitHub answers as for a missing ref.
      const current = ref.startsWith('refs/') ? undefined : await call.repo.git.resolveRef(`refs/${ref}`);
      if (current === undefined) throw new DomainError(422, 'UNPROCESSABLE', 'Reference does not exist');
      if (!(await call.repo.git.commitExists(sha))) throw new DomainError(422, 'UNPROCESSABLE', 'Object does not exist');
      const branch = branchOfRef(ref);
      if (branch !== undefined) refuseProtected(call.repo, branch);
      if (!force && !(await call.repo.git.isAncestor(current, sha))) throw new DomainError(422, 'UNPROCESSABLE', 'Update is not a fast forward');
      if (!(await call.repo.git.compareAndSwap(`refs/${ref}`, sha, current))) throw new DomainError(422, 'UNPROCESSABLE', 'Reference update failed');
      return ok(shape.gitRef(core.shapes, call.repo, `refs/${ref}`, sha));
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/git/refs/{ref}',
    operationId: 'git/delete-ref',
    write: true,
    async handle(call) {
      requirePermission(call.token, 'write', 'contents');
      const ref = call.params.ref ?? '';
      const current = ref.startsWith('refs/') ? undefined : await call.repo.git.resolveRef(`refs/${ref}`);
      if (current === undefined) throw new DomainError(422, 'UNPROCESSABLE', 'Reference does not exist');
      const branch = branchOfRef(ref);
      if (branch !== undefined) refuseProtected(call.repo, branch);
      if (branch !== undefined) {
        // GitHub keeps showing a closed PR's last head after its branch is gone.
        for (const pull of call.repo.pulls.values()) if (pull.head === branch && pull.headShaWhenGone === null) pull.headShaWhenGone = current;
      }
      if (!(await call.repo.git.deleteRef(`refs/${ref}`, current))) throw new DomainError(422, 'UNPROCESSABLE', 'Reference update failed');
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/compare/{basehead}',
    operationId: 'repos/compare-commits',
    write: false,
    async handle(call, core) {
      const basehead = call.params.basehead ?? '';
      const parts = basehead.split('...');
      if (parts.length !== 2) notFound();
      const repo = call.repo;
      const resolve = async (name: string): Promise<string> =>
        (await repo.git.branchHead(name)) ?? ((await repo.git.commitExists(name)) ? name : notFound());
      const base = await resolve(parts[0] ?? '');
      const head = await resolve(parts[1] ?? '');
      const mergeBase = (await repo.git.mergeBase(base, head)) ?? notFound();
      const ahead = await repo.git.commitsBetween(base, head);
      const behind = await repo.git.commitsBetween(head, base);
      const status = ahead.length === 0 && behind.length === 0 ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
      const commitShape = async (oid: string): Promise<Record<string, unknown>> =>
        shape.commit(core.shapes, repo, await repo.git.commit(oid), { verified: verifiedCommits.has(oid) });
      const url = `${core.shapes.api}/repos/${repo.fullName}/compare/${basehead}`;
      const html = `${core.shapes.html}/${repo.fullName}/compare/${basehead}`;
      return ok({
        url,
        html_url: html,
        permalink_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: await commitShape(base),
        merge_base_commit: await commitShape(mergeBase),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: await Promise.all(ahead.slice(0, 250).map(commitShape)),
        files: (await repo.git.changedPaths(mergeBase, head)).map((file) => ({
          sha: null,
          filename: file.path,
          status: ({ A: 'added', D: 'removed', M: 'modified' } as Record<string, string>)[file.status] ?? 'modified',
          additions: 0,
          deletions: 0,
          changes: 0,
          blob_url: `${core.shapes.html}/${repo.fullName}/blob/${head}/${file.path}`,
          raw_url: `${core.shapes.html}/${repo.fullName}/raw/${head}/${file.path}`,
          contents_url: `${core.shapes.api}/repos/${repo.fullName}/contents/${file.path}?ref=${head}`,
        })),
      });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}',
    operationId: 'repos/get-commit',
    write: false,
    async handle(call, core) {
      const name = call.params.ref ?? '';
      const repo = call.repo;
      const oid =
        (await repo.git.branchHead(name.replace(/^refs\/heads\//, ''))) ??
        (/^[0-9a-f]{40}$/.test(name) && (await repo.git.commitExists(name)) ? name : undefined);
      if (oid === undefined) throw new DomainError(422, 'UNPROCESSABLE', `No commit found for SHA: ${name}`);
      const info = await repo.git.commit(oid);
      const files = await repo.git.changedPaths(info.parents[0], oid);
      return ok(shape.commit(core.shapes, repo, info, { verified: verifiedCommits.has(oid), files }));
    },
  },
];

/** `{ template -> regex }` matching: a template's last parameter may span segments (`x-multi-segment`: refs, basehead). */
const MULTI_SEGMENT = new Set(['ref', 'basehead']);

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

export function matchRoute(method: string, rawPath: string): RouteMatch | undefined | 'method-not-allowed' {
  const segments = rawPath.split('/').slice(1);
  let pathMatched = false;
  for (const route of routes) {
    const parts = route.template.split('/').slice(1);
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const segment = segments[i];
      if (segment === undefined) {
        matched = false;
        break;
      }
      const param = /^\{(.+)\}$/.exec(part)?.[1];
      if (param === undefined) {
        if (segment !== part) {
          matched = false;
          break;
        }
        continue;
      }
      if (i === parts.length - 1 && MULTI_SEGMENT.has(param)) {
        params[param] = segments.slice(i).map(decodeURIComponent).join('/');
        break;
      }
      params[param] = decodeURIComponent(segment);
    }
    if (matched && (segments.length === parts.length || Object.keys(params).some((p) => MULTI_SEGMENT.has(p)))) {
      pathMatched = true;
      if (route.method === method) return { route, params };
    }
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

/** The request path with each parameter encoded as one segment, as the validator expects the template's shape. */
export function templatePath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(params[name] ?? ''));
}
