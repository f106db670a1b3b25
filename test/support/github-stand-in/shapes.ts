/**
 * REST response bodies in GitHub's shapes (the schemas of the OpenAPI description, every required field present).
 * Each response is validated against the description before it is sent, so a missing field here is caught at once.
 */
import type { CommitInfo } from './git-store.ts';
import type { CommentState, LabelState, MilestoneState, PullState, RepoState, ReviewState, StandInState, UserState } from './state.ts';

export interface ShapeContext {
  readonly state: StandInState;
  /** REST base URL (`http://127.0.0.1:port`). */
  readonly api: string;
  /** Web base URL (`https://github.com`). */
  readonly html: string;
}

export function simpleUser(ctx: ShapeContext, user: UserState): Record<string, unknown> {
  const url = `${ctx.api}/users/${encodeURIComponent(user.login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: user.nodeId,
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${ctx.html}/${user.type === 'Bot' ? `apps/${user.login.replace(/\[bot\]$/, '')}` : user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
    user_view_type: 'public',
  };
}

export function userByLogin(ctx: ShapeContext, login: string): Record<string, unknown> {
  return simpleUser(ctx, ctx.state.user(login));
}

/** The `repository` schema (PR head/base), extended to `full-repository` by `fullRepository`. */
export function repository(ctx: ShapeContext, repo: RepoState, pushedAt: string): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}`;
  const html = `${ctx.html}/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: repo.fullName,
    owner: simpleUser(ctx, ctx.state.user(repo.owner)),
    private: repo.settings.private,
    html_url: html,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${repo.fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${repo.fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: [...repo.pulls.values()].filter((pull) => pull.state === 'open').length,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.settings.private ? 'private' : 'public',
    pushed_at: pushedAt,
    created_at: repo.createdAt,
    updated_at: pushedAt,
    allow_rebase_merge: repo.settings.allowRebaseMerge,
    allow_squash_merge: repo.settings.allowSquashMerge,
    allow_merge_commit: repo.settings.allowMergeCommit,
    allow_auto_merge: repo.settings.allowAutoMerge,
    delete_branch_on_merge: repo.settings.deleteBranchOnMerge,
    license: null,
    forks: 0,
    open_issues: [...repo.pulls.values()].filter((pull) => pull.state === 'open').length,
    watchers: 0,
  };
}

export function fullRepository(ctx: ShapeContext, repo: RepoState, pushedAt: string, push: boolean): Record<string, unknown> {
  return {
    ...repository(ctx, repo, pushedAt),
    permissions: { admin: false, maintain: false, push, triage: push, pull: true },
    network_count: 0,
    subscribers_count: 0,
  };
}

export function label(ctx: ShapeContext, repo: RepoState, state: LabelState): Record<string, unknown> {
  return {
    id: state.id,
    node_id: state.nodeId,
    url: `${ctx.api}/repos/${repo.fullName}/labels/${encodeURIComponent(state.name)}`,
    name: state.name,
    description: state.description,
    color: state.color,
    default: false,
  };
}

/** A PR's labels. `pull-request-simple` (lists, reviewer replies) types `description` as a plain string. */
function labelsOf(ctx: ShapeContext, repo: RepoState, names: readonly string[], descriptionAlwaysString = false): Record<string, unknown>[] {
  return names.flatMap((name) => {
    const state = repo.labels.get(name.toLowerCase());
    if (state === undefined) return [];
    const shaped = label(ctx, repo, state);
    return [descriptionAlwaysString ? { ...shaped, description: state.description ?? '' } : shaped];
  });
}

export function milestone(ctx: ShapeContext, repo: RepoState, state: MilestoneState): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/milestones/${state.number}`;
  const pulls = [...repo.pulls.values()].filter((pull) => pull.milestone === state.number);
  return {
    url,
    html_url: `${ctx.html}/${repo.fullName}/milestone/${state.number}`,
    labels_url: `${url}/labels`,
    id: state.id,
    node_id: state.nodeId,
    number: state.number,
    state: state.state,
    title: state.title,
    description: state.description,
    creator: userByLogin(ctx, repo.owner),
    open_issues: pulls.filter((pull) => pull.state === 'open').length,
    closed_issues: pulls.filter((pull) => pull.state === 'closed').length,
    created_at: state.createdAt,
    updated_at: state.createdAt,
    closed_at: null,
    due_on: null,
  };
}

function milestoneOf(ctx: ShapeContext, repo: RepoState, pull: PullState): Record<string, unknown> | null {
  const state = repo.milestones.find((m) => m.number === pull.milestone);
  return state === undefined ? null : milestone(ctx, repo, state);
}

function branchEnd(ctx: ShapeContext, repo: RepoState, branch: string, sha: string, pushedAt: string): Record<string, unknown> {
  return {
    label: `${repo.owner}:${branch}`,
    ref: branch,
    sha,
    user: userByLogin(ctx, repo.owner),
    repo: repository(ctx, repo, pushedAt),
  };
}

/** What a pull request's shapes need beyond its state: the head and base commits, read from git. */
export interface PullFacts {
  readonly headSha: string;
  readonly baseSha: string;
  readonly mergeableState: string;
  readonly commits: number;
  readonly changedFiles: number;
}

export function pullRequestSimple(ctx: ShapeContext, repo: RepoState, pull: PullState, facts: PullFacts): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/pulls/${pull.number}`;
  const issueUrl = `${ctx.api}/repos/${repo.fullName}/issues/${pull.number}`;
  const html = `${ctx.html}/${repo.fullName}/pull/${pull.number}`;
  const statusesUrl = `${ctx.api}/repos/${repo.fullName}/statuses/${facts.headSha}`;
  const assignees = pull.assignees.map((login) => userByLogin(ctx, login));
  return {
    url,
    id: pull.id,
    node_id: pull.nodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${ctx.api}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statusesUrl,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userByLogin(ctx, pull.user),
    body: pull.body,
    labels: labelsOf(ctx, repo, pull.labels, true),
    milestone: milestoneOf(ctx, repo, pull),
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: pull.requestedReviewers.map((login) => userByLogin(ctx, login)),
    requested_teams: pull.requestedTeams.map((slug) => team(ctx, repo, slug)),
    head: branchEnd(ctx, repo, pull.head, facts.headSha, pull.updatedAt),
    base: branchEnd(ctx, repo, pull.base, facts.baseSha, pull.updatedAt),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${ctx.api}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statusesUrl },
    },
    author_association: pull.user === repo.owner ? 'OWNER' : pull.user.endsWith('[bot]') ? 'NONE' : 'MEMBER',
    auto_merge:
      pull.autoMerge === null
        ? null
        : {
            enabled_by: userByLogin(ctx, pull.autoMerge.enabledBy),
            merge_method: pull.autoMerge.method.toLowerCase(),
            commit_title: pull.autoMerge.commitHeadline ?? '',
            commit_message: pull.autoMerge.commitBody ?? '',
          },
    draft: pull.draft,
  };
}

export function pullRequest(ctx: ShapeContext, repo: RepoState, pull: PullState, facts: PullFacts): Record<string, unknown> {
  return {
    ...pullRequestSimple(ctx, repo, pull, facts),
    merged: pull.merged,
    mergeable: pull.state === 'open' ? facts.mergeableState !== 'dirty' : null,
    rebaseable: pull.state === 'open' ? facts.mergeableState !== 'dirty' : null,
    mergeable_state: facts.mergeableState,
    merged_by: pull.mergedBy === null ? null : userByLogin(ctx, pull.mergedBy),
    comments: repo.comments.filter((comment) => comment.issueNumber === pull.number).length,
    review_comments: 0,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: facts.commits,
    additions: 0,
    deletions: 0,
    changed_files: facts.changedFiles,
  };
}

export function team(ctx: ShapeContext, repo: RepoState, slug: string): Record<string, unknown> {
  const id = ctx.state.user(`team:${repo.owner}/${slug}`).id;
  const url = `${ctx.api}/orgs/${repo.owner}/teams/${slug}`;
  return {
    id,
    node_id: Buffer.from(`T_${id}`).toString('base64'),
    url,
    html_url: `${ctx.html}/orgs/${repo.owner}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'push',
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    type: 'organization',
    parent: null,
  };
}

/** The `issue` schema of a pull request (what the issues endpoints answer for a PR). */
export function issue(ctx: ShapeContext, repo: RepoState, pull: PullState): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/issues/${pull.number}`;
  const assignees = pull.assignees.map((login) => userByLogin(ctx, login));
  return {
    id: pull.id,
    node_id: pull.nodeId,
    url,
    repository_url: `${ctx.api}/repos/${repo.fullName}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${ctx.html}/${repo.fullName}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state,
    state_reason: null,
    title: pull.title,
    body: pull.body,
    user: userByLogin(ctx, pull.user),
    labels: labelsOf(ctx, repo, pull.labels),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: milestoneOf(ctx, repo, pull),
    locked: false,
    active_lock_reason: null,
    comments: repo.comments.filter((comment) => comment.issueNumber === pull.number).length,
    pull_request: {
      merged_at: pull.mergedAt,
      diff_url: `${ctx.html}/${repo.fullName}/pull/${pull.number}.diff`,
      html_url: `${ctx.html}/${repo.fullName}/pull/${pull.number}`,
      patch_url: `${ctx.html}/${repo.fullName}/pull/${pull.number}.patch`,
      url: `${ctx.api}/repos/${repo.fullName}/pulls/${pull.number}`,
    },
    closed_at: pull.closedAt,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_by: null,
    author_association: 'NONE',
  };
}

export function issueComment(ctx: ShapeContext, repo: RepoState, comment: CommentState): Record<string, unknown> {
  return {
    id: comment.id,
    node_id: comment.nodeId,
    url: `${ctx.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${ctx.html}/${repo.fullName}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userByLogin(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    issue_url: `${ctx.api}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    author_association: 'NONE',
  };
}

export function review(ctx: ShapeContext, repo: RepoState, pull: PullState, state: ReviewState): Record<string, unknown> {
  const html = `${ctx.html}/${repo.fullName}/pull/${pull.number}#pullrequestreview-${state.id}`;
  const pullUrl = `${ctx.api}/repos/${repo.fullName}/pulls/${pull.number}`;
  return {
    id: state.id,
    node_id: state.nodeId,
    user: userByLogin(ctx, state.user),
    body: state.body,
    state: state.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    submitted_at: state.submittedAt,
    commit_id: state.commitId,
    author_association: 'MEMBER',
  };
}

export function gitRef(ctx: ShapeContext, repo: RepoState, ref: string, oid: string): Record<string, unknown> {
  return {
    ref,
    node_id: Buffer.from(`REF_${repo.id}:${ref}`).toString('base64'),
    url: `${ctx.api}/repos/${repo.fullName}/git/${ref}`,
    object: { type: 'commit', sha: oid, url: `${ctx.api}/repos/${repo.fullName}/git/commits/${oid}` },
  };
}

/** The `commit` schema (commits/get, compare): `files` and `stats` only when given. */
export function commit(
  ctx: ShapeContext,
  repo: RepoState,
  info: CommitInfo,
  extra: { verified: boolean; files?: { status: string; path: string }[] },
): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/commits/${info.oid}`;
  const body: Record<string, unknown> = {
    url,
    sha: info.oid,
    node_id: Buffer.from(`C_${repo.id}:${info.oid}`).toString('base64'),
    html_url: `${ctx.html}/${repo.fullName}/commit/${info.oid}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${ctx.api}/repos/${repo.fullName}/git/commits/${info.oid}`,
      author: { name: info.author.name, email: info.author.email, date: info.author.date },
      committer: { name: info.committer.name, email: info.committer.email, date: info.committer.date },
      message: info.message.replace(/\n+$/, ''),
      comment_count: 0,
      tree: { sha: info.tree, url: `${ctx.api}/repos/${repo.fullName}/git/trees/${info.tree}` },
      verification: extra.verified
        ? { verified: true, reason: 'valid', signature: '-----BEGIN PGP SIGNATURE-----\n(stand-in)\n-----END PGP SIGNATURE-----', payload: info.message, verified_at: info.committer.date }
        : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    author: githubUser(ctx, info.author.email),
    committer: githubUser(ctx, info.committer.email),
    parents: info.parents.map((sha) => ({ sha, url: `${ctx.api}/repos/${repo.fullName}/commits/${sha}`, html_url: `${ctx.html}/${repo.fullName}/commit/${sha}` })),
  };
  if (extra.files !== undefined) {
    body.stats = { additions: 0, deletions: 0, total: 0 };
    body.files = extra.files.map((file) => ({
      sha: null,
      filename: file.path,
      status: ({ A: 'added', D: 'removed', M: 'modified', R: 'renamed', C: 'copied', T: 'changed' } as Record<string, string>)[file.status] ?? 'modified',
      additions: 0,
      deletions: 0,
      changes: 0,
      blob_url: `${ctx.html}/${repo.fullName}/blob/${info.oid}/${file.path}`,
      raw_url: `${ctx.html}/${repo.fullName}/raw/${info.oid}/${file.path}`,
      contents_url: `${ctx.api}/repos/${repo.fullName}/contents/${file.path}?ref=${info.oid}`,
    }));
  }
  return body;
}

/** The GitHub account behind a noreply address (`<id>+<login>@users.noreply.github.com`), else null. */
function githubUser(ctx: ShapeContext, email: string): Record<string, unknown> | null {
  const match = /^\d+\+(.+)@users\.noreply\.github\.com$/.exec(email);
  return match?.[1] === undefined ? null : userByLogin(ctx, match[1]);
}

export function basicError(message: string, documentation = 'https://docs.github.com/rest', status?: number): Record<string, unknown> {
  return { message, documentation_url: documentation, ...(status === undefined ? {} : { status: String(status) }) };
}

export function validationError(
  errors: { resource: string; code: string; field?: string; message?: string }[],
  documentation = 'https://docs.github.com/rest',
): Record<string, unknown> {
  return { message: 'Validation Failed', errors, documentation_url: documentation, status: '422' };
}
