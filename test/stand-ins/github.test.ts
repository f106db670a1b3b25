/**
 * The GitHub stand-in against the real Octokit (`getOctokit` from @actions/github): valid calls work and validate,
 * what GitHub refuses is refused the same way (and recorded as a violation), GraphQL errors have GitHub's shape,
 * createCommitOnBranch makes real commits in the bare repository, and the scripted faults behave as documented.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { getOctokit } from '@actions/github';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { git, removeTempDirs, tempDir } from '../support/git-repos.ts';
import { DEFAULT_TOKEN, createSeededBareRepository, startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in/index.ts';

const execFileAsync = promisify(execFile);
const R = { owner: 'acme', repo: 'manifests' };
const NODE = path.resolve('node_modules/.bin/node');

const TOKENS = {
  actions: DEFAULT_TOKEN,
  readOnly: 'ghs_readOnlyToken',
  pat: 'ghp_personalToken',
  noWorkflows: 'ghs_appWithoutWorkflows',
};

let standIn: GitHubStandIn;
let bare: string;
let seed: string;
let work: string;

function octokit(token: string = TOKENS.actions): ReturnType<typeof getOctokit> {
  return getOctokit(token, { baseUrl: standIn.url });
}

/** Violations recorded since the last call (tests that provoke one take it; afterEach asserts none is left). */
function takeViolations(): string[] {
  return standIn.violations.splice(0).map((v) => `${v.kind} ${v.route}: ${v.messages.join('; ')}`);
}

interface GraphQLReply {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { type?: string; path?: unknown[]; message: string }[] };
}

async function rawGraphQL(query: string, variables: Record<string, unknown> = {}, token = TOKENS.actions): Promise<GraphQLReply> {
  const response = await fetch(standIn.graphqlUrl, {
    method: 'POST',
    headers: { authorization: `bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLReply['body'] };
}

const COMMIT = `mutation($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url signature { isValid wasSignedByGitHub } } ref { name target { oid } } }
}`;

function commitInput(branch: string, expectedHeadOid: string, files: Record<string, string>, headline = 'Promote churn v7'): Record<string, unknown> {
  return {
    input: {
      branch: { repositoryNameWithOwner: 'acme/manifests', branchName: branch },
      expectedHeadOid,
      message: { headline, body: 'ML-Gitops-Model: churn\nML-Gitops-Version: 7' },
      fileChanges: { additions: Object.entries(files).map(([p, c]) => ({ path: p, contents: Buffer.from(c).toString('base64') })) },
    },
  };
}

async function tip(branch: string): Promise<string> {
  return git(bare, ['rev-parse', `refs/heads/${branch}`]);
}

/** A branch one real commit ahead of main, through the API. */
async function branchWithCommit(branch: string, files: Record<string, string> = { 'envs/prod/values.yaml': `image: ${branch}\n` }): Promise<string> {
  const main = await tip('main');
  await octokit().rest.git.createRef({ ...R, ref: `refs/heads/${branch}`, sha: main });
  const result = await octokit().graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(COMMIT, commitInput(branch, main, files));
  return result.createCommitOnBranch.commit.oid;
}

beforeAll(async () => {
  work = await tempDir('ml-gitops-gh-standin-');
  bare = path.join(work, 'manifests.git');
  seed = (await createSeededBareRepository(bare, { files: { 'envs/prod/values.yaml': 'image: v6\n', 'README.md': '# manifests\n' } })).head;
  standIn = await startGitHubStandIn({
    repos: { 'acme/manifests': bare },
    tokens: [
      { token: TOKENS.actions, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } },
      { token: TOKENS.readOnly, login: 'github-actions[bot]', permissions: { contents: 'read', 'pull-requests': 'read' } },
      { token: TOKENS.pat, login: 'octocat' },
      { token: TOKENS.noWorkflows, login: 'ml-gitops-app[bot]', permissions: { contents: 'write', 'pull-requests': 'write' } },
    ],
  });
});

afterEach(() => {
  expect(takeViolations()).toEqual([]);
});

afterAll(async () => {
  await standIn?.stop();
  await removeTempDirs();
});

describe('REST', () => {
  it('answers the repository, refs and a pull request lifecycle in GitHub shapes', async () => {
    const repo = await octokit().rest.repos.get(R);
    expect(repo.data).toMatchObject({ full_name: 'acme/manifests', default_branch: 'main', allow_auto_merge: false });
    const ref = await octokit().rest.git.getRef({ ...R, ref: 'heads/main' });
    expect(ref.data.object.sha).toBe(seed);

    const head = await branchWithCommit('ml-gitops/promote/churn/prod');
    const created = await octokit().rest.pulls.create({ ...R, head: 'ml-gitops/promote/churn/prod', base: 'main', title: 'Promote churn v7', body: 'evidence' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ number: 1, state: 'open', head: { sha: head, ref: 'ml-gitops/promote/churn/prod' }, user: { login: 'github-actions[bot]', type: 'Bot' } });
    expect(created.data.node_id).toMatch(/^PR_kwDO/);

    await octokit().rest.issues.addLabels({ ...R, issue_number: 1, labels: ['ml-gitops', 'env:prod'] });
    await octokit().rest.issues.removeLabel({ ...R, issue_number: 1, name: 'env:prod' });
    await octokit().rest.pulls.requestReviewers({ ...R, pull_number: 1, reviewers: ['alice'] });
    await octokit().rest.issues.addAssignees({ ...R, issue_number: 1, assignees: ['bob'] });
    await octokit().rest.issues.createComment({ ...R, issue_number: 1, body: 'hello' });
    const updated = await octokit().rest.pulls.update({ ...R, pull_number: 1, title: 'Promote churn v7 to prod' });
    expect(updated.data).toMatchObject({ title: 'Promote churn v7 to prod', labels: [{ name: 'ml-gitops' }], requested_reviewers: [{ login: 'alice' }], assignees: [{ login: 'bob' }] });

    // `head` is honoured only as owner:branch; a bare branch name is ignored as on GitHub.
    const exact = await octokit().rest.pulls.list({ ...R, state: 'open', head: 'acme:ml-gitops/promote/churn/prod' });
    expect(exact.data.map((p) => p.number)).toEqual([1]);
    const other = await octokit().rest.pulls.list({ ...R, state: 'open', head: 'acme:other' });
    expect(other.data).toEqual([]);
    const ignored = await octokit().rest.pulls.list({ ...R, state: 'open', head: 'other' });
    expect(ignored.data.map((p) => p.number)).toEqual([1]);

    const compare = await octokit().rest.repos.compareCommitsWithBasehead({ ...R, basehead: 'main...ml-gitops/promote/churn/prod' });
    expect(compare.data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0 });

    await octokit().rest.pulls.update({ ...R, pull_number: 1, state: 'closed' });
    await octokit().rest.git.deleteRef({ ...R, ref: 'heads/ml-gitops/promote/churn/prod' });
    const closed = await octokit().rest.pulls.get({ ...R, pull_number: 1 });
    expect(closed.data).toMatchObject({ state: 'closed', merged: false, head: { sha: head } });
  });

  it('refuses what GitHub refuses, with its texts', async () => {
    await branchWithCommit('dup');
    await octokit().rest.pulls.create({ ...R, head: 'dup', base: 'main', title: 't' });
    await expect(octokit().rest.pulls.create({ ...R, head: 'dup', base: 'main', title: 't' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('A pull request already exists for acme:dup.'),
    });
    await octokit().rest.git.createRef({ ...R, ref: 'refs/heads/empty', sha: await tip('main') });
    await expect(octokit().rest.pulls.create({ ...R, head: 'empty', base: 'main', title: 't' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('No commits between main and empty'),
    });
    await expect(octokit().rest.pulls.create({ ...R, head: 'dup', base: 'nope', title: 't' })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('"field":"base"') });
    await expect(octokit().rest.git.createRef({ ...R, ref: 'refs/heads/dup', sha: seed })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('Reference already exists') });
    await expect(octokit().rest.git.updateRef({ ...R, ref: 'heads/dup', sha: seed })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('Update is not a fast forward') });
    await expect(octokit().rest.git.updateRef({ ...R, ref: 'refs/heads/dup', sha: seed, force: true })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('Reference does not exist') });
    await expect(octokit().rest.pulls.requestReviewers({ ...R, pull_number: 2, reviewers: ['github-actions[bot]'] })).rejects.toMatchObject({
      message: expect.stringContaining('Review cannot be requested from pull request author.'),
    });
    expect(takeViolations()).toEqual([]);
  });

  it('validates request bodies against the OpenAPI description and records the violation', async () => {
    await expect(octokit().request('POST /repos/{owner}/{repo}/pulls', { ...R, head: 'dup', base: 'main', title: 't', draft: 'yes' as never })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('draft must be boolean'),
    });
    await expect(octokit().request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { ...R, issue_number: 2, labels: 'one' as never })).rejects.toMatchObject({ status: 422 });
    await expect(octokit().request('GET /repos/{owner}/{repo}/nothing-here', R)).rejects.toMatchObject({ status: 404 });
    const violations = takeViolations();
    expect(violations).toHaveLength(3);
    expect(violations[0]).toContain('invalid-request POST /repos/{owner}/{repo}/pulls');
    expect(violations[2]).toContain('unknown-route');
  });

  it('decodes percent-encoded ref parameters', async () => {
    const raw = await fetch(`${standIn.url}/repos/acme/manifests/git/ref/heads%2Fdup`, { headers: { authorization: `token ${TOKENS.actions}` } });
    expect(raw.status).toBe(200);
    expect(((await raw.json()) as { ref: string }).ref).toBe('refs/heads/dup');
    const viaOctokit = await octokit().rest.git.getRef({ ...R, ref: 'heads/dup' });
    expect(viaOctokit.data.ref).toBe('refs/heads/dup');
    expect(standIn.requests.at(-1)?.url).toBe('/repos/acme/manifests/git/ref/heads%2Fdup');
  });

  it('authenticates: token and Bearer schemes, 401 Bad credentials otherwise', async () => {
    for (const scheme of ['token', 'Bearer']) {
      const response = await fetch(`${standIn.url}/repos/acme/manifests`, { headers: { authorization: `${scheme} ${TOKENS.pat}` } });
      expect(response.status).toBe(200);
    }
    await expect(octokit('ghp_unknown').rest.repos.get(R)).rejects.toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });
    expect(standIn.requests.every((r) => !r.url.includes('ghp_') && !r.url.includes('ghs_'))).toBe(true);
  });

  it('enforces token permissions, the Actions setting and the workflows permission', async () => {
    await expect(octokit(TOKENS.readOnly).rest.git.createRef({ ...R, ref: 'refs/heads/ro', sha: seed })).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
      response: { headers: { 'x-accepted-github-permissions': 'contents=write' } },
    });
    await branchWithCommit('actions-pr');
    standIn.settings('acme/manifests', { actionsCanCreatePullRequests: false });
    try {
      await expect(octokit().rest.pulls.create({ ...R, head: 'actions-pr', base: 'main', title: 't' })).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining('GitHub Actions is not permitted to create or approve pull requests.'),
      });
      // A personal access token is not bound by that setting.
      const byPat = await octokit(TOKENS.pat).rest.pulls.create({ ...R, head: 'actions-pr', base: 'main', title: 't' });
      expect(byPat.data.user?.login).toBe('octocat');
    } finally {
      standIn.settings('acme/manifests', { actionsCanCreatePullRequests: true });
    }
    const main = await tip('main');
    await octokit().rest.git.createRef({ ...R, ref: 'refs/heads/wf', sha: main });
    const refused = await rawGraphQL(COMMIT, commitInput('wf', main, { '.github/workflows/ci.yml': 'on: push\n' }), TOKENS.noWorkflows);
    expect(refused.body.errors?.[0]).toMatchObject({
      type: 'FORBIDDEN',
      message: 'refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission',
    });
    expect(await tip('wf')).toBe(main);
  });

  it('refuses to create labels without issues: write (explicitly or by adding a missing one), with GitHub\'s 403', async () => {
    await branchWithCommit('labels-403');
    const created = await octokit().rest.pulls.create({ ...R, head: 'labels-403', base: 'main', title: 'labels' });
    const refusal = {
      status: 403,
      response: { data: { message: 'You do not have permission to create labels on this repository.', errors: [{ resource: 'Repository', field: 'label', code: 'unauthorized' }] } },
    };
    await expect(octokit(TOKENS.noWorkflows).rest.issues.addLabels({ ...R, issue_number: created.data.number, labels: ['brand-new'] })).rejects.toMatchObject(refusal);
    await expect(octokit(TOKENS.noWorkflows).rest.issues.setLabels({ ...R, issue_number: created.data.number, labels: ['brand-new'] })).rejects.toMatchObject(refusal);
    await expect(octokit(TOKENS.noWorkflows).rest.issues.update({ ...R, issue_number: created.data.number, labels: ['brand-new'], title: 'changed' })).rejects.toMatchObject(refusal);
    await expect(octokit(TOKENS.noWorkflows).rest.issues.createLabel({ ...R, name: 'brand-new', color: 'ededed' })).rejects.toMatchObject(refusal);
    // Nothing changed; a label that exists is added with pull-requests: write alone, and a PAT creates labels.
    expect(standIn.pulls('acme/manifests').find((p) => p.number === created.data.number)).toMatchObject({ title: 'labels', labels: [] });
    await octokit(TOKENS.pat).rest.issues.createLabel({ ...R, name: 'brand-new', color: 'ededed' });
    const labelled = await octokit(TOKENS.noWorkflows).rest.issues.addLabels({ ...R, issue_number: created.data.number, labels: ['brand-new'] });
    expect(labelled.data.map((l) => l.name)).toEqual(['brand-new']);
  });

  it('refuses team reviewers to the GITHUB_TOKEN and to an App without Members: read, as GitHub does', async () => {
    await branchWithCommit('team-review');
    const created = await octokit().rest.pulls.create({ ...R, head: 'team-review', base: 'main', title: 'teams' });
    standIn.settings('acme/manifests', { teams: ['ml-platform'] });
    try {
      for (const token of [TOKENS.actions, TOKENS.noWorkflows]) {
        const error = await octokit(token)
          .rest.pulls.requestReviewers({ ...R, pull_number: created.data.number, reviewers: ['alice'], team_reviewers: ['ml-platform'] })
          .then(() => undefined, (e: { status: number; message: string; response: { data: { errors: unknown[] } } }) => e);
        expect(error?.status).toBe(422);
        expect(error?.message).toMatch(/^Validation Failed: "Could not resolve to a node with the global id of 'T_kwDO[\w-]+'\."/);
        expect(error?.response.data.errors).toEqual([expect.stringMatching(/^Could not resolve to a node with the global id of 'T_/)]);
      }
      expect(standIn.pulls('acme/manifests').find((p) => p.number === created.data.number)).toMatchObject({ requestedReviewers: [], requestedTeams: [] });
      await octokit(TOKENS.pat).rest.pulls.requestReviewers({ ...R, pull_number: created.data.number, team_reviewers: ['ml-platform'] });
      expect(standIn.pulls('acme/manifests').find((p) => p.number === created.data.number)?.requestedTeams).toEqual(['ml-platform']);
    } finally {
      standIn.settings('acme/manifests', { teams: [] });
    }
  });

  it('refuses writes to a protected branch', async () => {
    standIn.settings('acme/manifests', { protectedBranches: ['main'] });
    try {
      await expect(octokit().rest.git.updateRef({ ...R, ref: 'heads/main', sha: seed, force: true })).rejects.toMatchObject({
        status: 422,
        message: expect.stringContaining('Protected branch update failed for refs/heads/main.'),
      });
      const refused = await rawGraphQL(COMMIT, commitInput('main', await tip('main'), { 'x.txt': 'x' }));
      expect(refused.body.errors?.[0]?.message).toBe('Protected branch update failed for refs/heads/main.');
    } finally {
      standIn.settings('acme/manifests', { protectedBranches: [] });
    }
  });

  it('scripts the eventual-consistency 422 and rate limits', async () => {
    await branchWithCommit('lag');
    standIn.faults.nodeLagOnce();
    const created = await octokit().rest.pulls.create({ ...R, head: 'lag', base: 'main', title: 'lag' });
    await expect(octokit().rest.issues.addLabels({ ...R, issue_number: created.data.number, labels: ['x'] })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining(`Could not resolve to a node with the global id of '${created.data.node_id}'.`),
    });
    await octokit().rest.issues.addLabels({ ...R, issue_number: created.data.number, labels: ['x'] });

    standIn.faults.secondaryRateLimitOnce({ retryAfterSeconds: 7 });
    const secondary = await fetch(`${standIn.url}/repos/acme/manifests`, { headers: { authorization: `token ${TOKENS.actions}` } });
    expect(secondary.status).toBe(403);
    expect(secondary.headers.get('retry-after')).toBe('7');
    expect(((await secondary.json()) as { message: string }).message).toMatch(/secondary rate limit/);

    standIn.faults.primaryRateLimitOnce({ resetInSeconds: 30 });
    const primary = await fetch(`${standIn.url}/repos/acme/manifests`, { headers: { authorization: `token ${TOKENS.actions}` } });
    expect(primary.status).toBe(403);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(primary.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 20);
  });

  it('runs a hook just before a request, to race a write deterministically', async () => {
    const main = await tip('main');
    await octokit().rest.git.createRef({ ...R, ref: 'refs/heads/raced', sha: main });
    // Someone pushes to the branch between our read and our write.
    standIn.faults.beforeNext('createCommitOnBranch', () => octokit(TOKENS.pat).graphql(COMMIT, commitInput('raced', main, { 'other.txt': 'theirs' })));
    const ours = await rawGraphQL(COMMIT, commitInput('raced', main, { 'ours.txt': 'ours' }));
    expect(ours.body.errors?.[0]?.type).toBe('STALE_DATA');
    expect(await git(bare, ['log', '-1', '--format=%an', 'refs/heads/raced'])).toBe('octocat');
  });

  it('counts requests by route, reads and writes', async () => {
    const start = standIn.requests.length;
    await octokit().rest.repos.get(R);
    await octokit().rest.git.getRef({ ...R, ref: 'heads/main' });
    await rawGraphQL('query { viewer { login } }');
    const counts = standIn.counts(start);
    expect(counts).toMatchObject({ total: 3, rest: 2, graphql: 1, reads: 3, writes: 0 });
    expect(counts.byRoute['GET /repos/{owner}/{repo}']).toBe(1);
  });
});

describe('GraphQL', () => {
  it('createCommitOnBranch makes a real, verified commit by the token owner on the bare repository', async () => {
    const main = await tip('main');
    await octokit().rest.git.createRef({ ...R, ref: 'refs/heads/real-commit', sha: main });
    const result = await octokit().graphql<{ createCommitOnBranch: { commit: { oid: string; signature: { isValid: boolean } }; ref: { name: string } } }>(
      COMMIT,
      commitInput('real-commit', main, { 'envs/prod/values.yaml': 'image: v7\n' }),
    );
    const oid = result.createCommitOnBranch.commit.oid;
    expect(result.createCommitOnBranch.commit.signature.isValid).toBe(true);
    expect(await tip('real-commit')).toBe(oid);
    expect(await git(bare, ['show', `${oid}:envs/prod/values.yaml`])).toBe('image: v7');
    expect(await git(bare, ['rev-parse', `${oid}^`])).toBe(main);
    const who = await git(bare, ['show', '-s', '--format=%an|%cn|%ce|%B', oid]);
    expect(who).toMatch(/^github-actions\[bot\]\|github-actions\[bot\]\|\d+\+github-actions\[bot\]@users\.noreply\.github\.com\|Promote churn v7\n\nML-Gitops-Model: churn/);
    const rest = await octokit().rest.repos.getCommit({ ...R, ref: oid });
    expect(rest.data.commit.verification).toMatchObject({ verified: true });
  });

  it('answers STALE_DATA in GitHub shape when the branch moved', async () => {
    const main = await tip('main');
    await octokit().rest.git.createRef({ ...R, ref: 'refs/heads/stale', sha: main });
    await octokit().graphql(COMMIT, commitInput('stale', main, { 'a.txt': 'first\n' }));
    const { status, body } = await rawGraphQL(COMMIT, commitInput('stale', main, { 'a.txt': 'second\n' }));
    expect(status).toBe(200);
    expect(body.data).toEqual({ createCommitOnBranch: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ type: 'STALE_DATA', path: ['createCommitOnBranch'], message: `Expected branch to point to "${main}" but it did not.  Pull and try again.` }),
    ]);
    await expect(octokit().graphql(COMMIT, commitInput('stale', main, { 'a.txt': 'third\n' }))).rejects.toThrow(/Expected branch to point to/);
  });

  it('refuses invalid documents and variables in GitHub shape and records them', async () => {
    const unknownField = await rawGraphQL('query { repository(owner: "acme", name: "manifests") { nope } }');
    expect(unknownField.status).toBe(200);
    expect(unknownField.body.errors?.[0]?.message).toMatch(/Cannot query field "nope" on type "Repository"/);
    expect(unknownField.body.data).toBeUndefined();

    const main = await tip('main');
    const unpadded = commitInput('stale', main, {});
    (unpadded.input as { fileChanges: unknown }).fileChanges = { additions: [{ path: 'x', contents: 'aGk' }] };
    const badBase64 = await rawGraphQL(COMMIT, unpadded);
    expect(badBase64.body.errors?.[0]?.message).toMatch(/Base64/);

    const badOid = await rawGraphQL(COMMIT, commitInput('stale', 'abc123', {}));
    expect(badOid.body.errors?.[0]?.message).toMatch(/Git object ID/);

    const badEnum = await rawGraphQL('mutation($input: EnablePullRequestAutoMergeInput!) { enablePullRequestAutoMerge(input: $input) { clientMutationId } }', {
      input: { pullRequestId: 'PR_x', mergeMethod: 'squash' },
    });
    expect(badEnum.body.errors?.[0]?.message).toMatch(/squash/);
    expect(takeViolations()).toHaveLength(4);
  });

  it('reads a promotion in one query with real shapes', async () => {
    await branchWithCommit('read-one');
    const created = await octokit().rest.pulls.create({ ...R, head: 'read-one', base: 'main', title: 'read', body: 'b' });
    await octokit().rest.issues.addLabels({ ...R, issue_number: created.data.number, labels: ['ml-gitops'] });
    await standIn.addReview('acme/manifests', created.data.number, { login: 'carol', state: 'APPROVED' });
    const data = await octokit().graphql<{ repository: { ref: { target: { oid: string } }; pullRequests: { nodes: Record<string, unknown>[] } } }>(
      `query($head: String!) { repository(owner: "acme", name: "manifests") {
        id autoMergeAllowed viewerPermission ref(qualifiedName: "refs/heads/read-one") { target { oid } }
        pullRequests(headRefName: $head, baseRefName: "main", states: [OPEN], first: 5) { nodes {
          id number url title body isDraft headRefOid mergeStateStatus isInMergeQueue
          autoMergeRequest { enabledAt mergeMethod }
          labels(first: 10) { nodes { name color } }
          latestReviews(first: 10) { nodes { state author { login } } }
          commits(last: 1) { totalCount nodes { commit { oid committer { user { login } } signature { isValid } } } }
          headRepository { nameWithOwner }
        } } } }`,
      { head: 'read-one' },
    );
    expect(data.repository.pullRequests.nodes[0]).toMatchObject({
      number: created.data.number,
      id: created.data.node_id,
      headRefOid: data.repository.ref.target.oid,
      mergeStateStatus: 'CLEAN',
      autoMergeRequest: null,
      labels: { nodes: [{ name: 'ml-gitops', color: 'ededed' }] },
      latestReviews: { nodes: [{ state: 'APPROVED', author: { login: 'carol' } }] },
      commits: { totalCount: 1, nodes: [{ commit: { committer: { user: { login: 'github-actions' } }, signature: { isValid: true } } }] },
      headRepository: { nameWithOwner: 'acme/manifests' },
    });
    const unbounded = await rawGraphQL('query { repository(owner: "acme", name: "manifests") { pullRequests { totalCount } } }');
    expect(unbounded.body.errors?.[0]).toMatchObject({ type: 'MISSING_PAGINATION_BOUNDARIES' });
  });

  it('emulates auto-merge, its refusals, and the merge queue', async () => {
    await branchWithCommit('auto');
    const created = await octokit().rest.pulls.create({ ...R, head: 'auto', base: 'main', title: 'auto' });
    const enable = 'mutation($input: EnablePullRequestAutoMergeInput!) { enablePullRequestAutoMerge(input: $input) { pullRequest { autoMergeRequest { mergeMethod } } } }';
    const input = { input: { pullRequestId: created.data.node_id, mergeMethod: 'SQUASH' } };
    expect((await rawGraphQL(enable, input)).body.errors?.[0]?.message).toBe('Auto merge is not allowed for this repository');
    standIn.settings('acme/manifests', { allowAutoMerge: true });
    expect((await rawGraphQL(enable, input)).body.errors?.[0]?.message).toBe('Pull request Pull request is in clean status');
    standIn.settings('acme/manifests', { requiredApprovals: { main: 1 } });
    const armed = await rawGraphQL(enable, input);
    expect(armed.body.data).toEqual({ enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: 'SQUASH' } } } });

    standIn.settings('acme/manifests', { mergeQueueBranches: ['main'], requiredApprovals: {} });
    await expect(octokit().rest.pulls.merge({ ...R, pull_number: created.data.number })).rejects.toMatchObject({
      status: 405,
      message: expect.stringContaining('Changes must be made through the merge queue'),
    });
    const queued = await rawGraphQL('mutation($input: EnqueuePullRequestInput!) { enqueuePullRequest(input: $input) { mergeQueueEntry { position state } } }', {
      input: { pullRequestId: created.data.node_id, expectedHeadOid: await tip('auto') },
    });
    expect(queued.body.data).toEqual({ enqueuePullRequest: { mergeQueueEntry: { position: 1, state: 'QUEUED' } } });
    expect(await standIn.processMergeQueue('acme/manifests', 'main')).toEqual([created.data.number]);
    standIn.settings('acme/manifests', { mergeQueueBranches: [], allowAutoMerge: false });
    const merged = await octokit().rest.pulls.get({ ...R, pull_number: created.data.number });
    expect(merged.data).toMatchObject({ merged: true, state: 'closed' });
    expect(await git(bare, ['show', `${merged.data.merge_commit_sha}:envs/prod/values.yaml`])).toBe('image: auto');
  });
});

describe('draft state', () => {
  it('converts a pull request to a draft and marks it ready for review, executed against the schema', async () => {
    await branchWithCommit('draft-state');
    const created = await octokit().rest.pulls.create({ ...R, head: 'draft-state', base: 'main', title: 'draft', draft: true });
    const id = created.data.node_id;
    const ready = await octokit().graphql<{ markPullRequestReadyForReview: { pullRequest: { isDraft: boolean; mergeStateStatus: string } } }>(
      `mutation($input: MarkPullRequestReadyForReviewInput!) { markPullRequestReadyForReview(input: $input) { pullRequest { isDraft mergeStateStatus } } }`,
      { input: { pullRequestId: id } },
    );
    expect(ready.markPullRequestReadyForReview.pullRequest).toEqual({ isDraft: false, mergeStateStatus: 'CLEAN' });
    expect((await octokit().rest.pulls.get({ ...R, pull_number: created.data.number })).data.draft).toBe(false);
    const draft = await octokit().graphql<{ convertPullRequestToDraft: { pullRequest: { isDraft: boolean; mergeStateStatus: string } } }>(
      `mutation($input: ConvertPullRequestToDraftInput!) { convertPullRequestToDraft(input: $input) { pullRequest { isDraft mergeStateStatus } } }`,
      { input: { pullRequestId: id } },
    );
    expect(draft.convertPullRequestToDraft.pullRequest).toEqual({ isDraft: true, mergeStateStatus: 'DRAFT' });
    // Read-only tokens and unknown ids are refused in GitHub's shape.
    const denied = await rawGraphQL(`mutation($input: MarkPullRequestReadyForReviewInput!) { markPullRequestReadyForReview(input: $input) { pullRequest { id } } }`, { input: { pullRequestId: id } }, TOKENS.readOnly);
    expect(denied.body).toMatchObject({ data: { markPullRequestReadyForReview: null }, errors: [{ type: 'FORBIDDEN', path: ['markPullRequestReadyForReview'] }] });
    const unknown = await rawGraphQL(`mutation($input: ConvertPullRequestToDraftInput!) { convertPullRequestToDraft(input: $input) { pullRequest { id } } }`, { input: { pullRequestId: 'PR_kwDOnope' } });
    expect(unknown.body.errors?.[0]).toMatchObject({ type: 'NOT_FOUND', message: "Could not resolve to a node with the global id of 'PR_kwDOnope'." });
    expect(standIn.pulls('acme/manifests').find((p) => p.number === created.data.number)?.draft).toBe(true);
  });
});

describe('as a command', () => {
  it('prints its URLs as one JSON line and stops on SIGTERM', async () => {
    const child = execFileAsync(NODE, ['test/support/github-stand-in/main.ts', '--port', '0', '--repo', `acme/manifests=${bare}`, '--token', 'ghs_cli:contents=write,pull-requests=write']);
    const proc = child.child;
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      proc.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const { url, graphqlUrl } = JSON.parse(line) as { url: string; graphqlUrl: string };
    expect(graphqlUrl).toBe(`${url}/graphql`);
    const ref = await getOctokit('ghs_cli', { baseUrl: url }).rest.git.getRef({ ...R, ref: 'heads/main' });
    expect(ref.data.object.sha).toBe(await tip('main'));
    proc.kill('SIGTERM');
    await child;
  }, 30_000);
});
