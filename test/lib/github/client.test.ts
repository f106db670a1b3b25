/**
 * The GitHub client against the strict stand-in: call counts, typed race results, retries (rate limits, the
 * eventual-consistency 422), the error sentences, and the token never appearing in an error or a URL.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions, type GitHubRequestEvent } from '../../../src/lib/github/index.ts';
import { git, removeTempDirs, tempDir } from '../../support/git-repos.ts';
import { createSeededBareRepository, startGitHubStandIn, type GitHubStandIn } from '../../support/github-stand-in/index.ts';

const TOKENS = {
  actions: 'ghs_actionsTokenForClientTests0001',
  readOnly: 'ghs_readOnlyTokenForClientTests002',
  app: 'ghs_appTokenWithoutWorkflows000003',
  pat: 'ghp_personalTokenForClientTests0004',
  prOnly: 'ghs_pullRequestsOnlyTokenClient0005',
  appWithMembers: 'ghs_appTokenWithOrgMembersRead0006',
};

let standIn: GitHubStandIn;
let bare: string;
const logs: string[] = [];
const errorsSeen: string[] = [];

function client(overrides: Partial<GitHubClientOptions> = {}): { gh: GitHubClient; events: GitHubRequestEvent[] } {
  const events: GitHubRequestEvent[] = [];
  const gh = createGitHubClient({
    token: TOKENS.actions,
    apiUrl: standIn.url,
    repository: { owner: 'acme', repo: 'manifests' },
    inputs: { token: 'token', repository: 'repository', base: 'base' },
    log: { info: (m) => void logs.push(m), warning: (m) => void logs.push(m), debug: () => undefined },
    onRequest: (event) => void events.push(event),
    retryAfterUnitMs: 5,
    nodeLagDelaysMs: [5, 10],
    ...overrides,
  });
  return { gh, events };
}

/** The UserError a call fails with, rendered as the Action prints it (and remembered for the token check). */
async function sentence(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  const text = renderInputRefs((error as UserError).message, 'action');
  errorsSeen.push(text, String((error as Error).stack));
  return text;
}

async function tip(branch: string): Promise<string> {
  return git(bare, ['rev-parse', `refs/heads/${branch}`]);
}

/** A branch with one verified commit on top of main, made through the client. */
async function promotionBranch(gh: GitHubClient, branch: string, image = branch): Promise<string> {
  const main = await tip('main');
  expect(await gh.createBranch(branch, main)).toEqual({ kind: 'created' });
  const result = await gh.commitFiles({ branch, expectedHeadOid: main, message: { headline: `Promote ${image}` }, additions: [{ path: 'envs/prod/values.yaml', contents: `image: ${image}\n` }] });
  if (result.kind !== 'committed') throw new Error('commit failed');
  return result.oid;
}

beforeAll(async () => {
  const dir = await tempDir('ml-gitops-gh-client-');
  bare = path.join(dir, 'manifests.git');
  await createSeededBareRepository(bare, { files: { 'envs/prod/values.yaml': 'image: v6\n', 'README.md': '# manifests\n' } });
  standIn = await startGitHubStandIn({
    repos: { 'acme/manifests': bare },
    tokens: [
      { token: TOKENS.actions, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } },
      { token: TOKENS.readOnly, login: 'github-actions[bot]', permissions: { contents: 'read', 'pull-requests': 'read' } },
      { token: TOKENS.app, login: 'ml-gitops-app[bot]', permissions: { contents: 'write', 'pull-requests': 'write' } },
      { token: TOKENS.pat, login: 'octocat' },
      // Labels: pull-requests write lets it label, not create labels (that takes issues: write).
      { token: TOKENS.prOnly, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'read' } },
      { token: TOKENS.appWithMembers, login: 'promoter[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write', members: 'read' } },
    ],
  });
});

afterEach(() => {
  expect(standIn.violations.splice(0)).toEqual([]);
});

afterAll(async () => {
  // The token never shows in a URL the stand-in received, an error, a stack or a log line.
  const everything = [...standIn.requests.map((r) => r.url), ...errorsSeen, ...logs].join('\n');
  for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
  await standIn?.stop();
  await removeTempDirs();
});

describe('reading', () => {
  it('reads the repository, both tips and the open PR with labels, reviews and head commit in ONE request', async () => {
    const { gh, events } = client();
    const head = await promotionBranch(gh, 'ml-gitops/promote/churn/prod', 'v7');
    const created = await gh.createPullRequest({ head: 'ml-gitops/promote/churn/prod', base: 'main', title: 'Promote churn v7', body: 'evidence' });
    if (created.kind !== 'created') throw new Error(created.kind);
    await gh.addLabels(created.pullRequest.number, ['ml-gitops']);
    await gh.requestReviewers(created.pullRequest.number, { users: ['alice'] });
    await standIn.addReview('acme/manifests', created.pullRequest.number, { login: 'carol', state: 'APPROVED' });

    const before = events.length;
    const lookup = await gh.findOpenPullRequest({ head: 'ml-gitops/promote/churn/prod', base: 'main' });
    expect(events.slice(before)).toEqual([{ kind: 'graphql', method: 'POST', route: '/graphql', operationName: 'FindPromotionPullRequest', write: false }]);
    expect(lookup).toMatchObject({
      repository: { nameWithOwner: 'acme/manifests', defaultBranch: 'main', autoMergeAllowed: false, viewerPermission: 'WRITE' },
      headOid: head,
      baseOid: await tip('main'),
      baseUsesMergeQueue: false,
      pullRequest: {
        number: created.pullRequest.number,
        id: created.pullRequest.id,
        headRefOid: head,
        labels: ['ml-gitops'],
        requestedReviewers: ['alice'],
        latestReviews: [{ login: 'carol', state: 'APPROVED' }],
        author: 'github-actions',
        commitCount: 1,
        headCommit: { oid: head, committerLogin: 'github-actions', verified: true },
        autoMerge: undefined,
      },
    });
    const none = await gh.findOpenPullRequest({ head: 'no-such-branch', base: 'main' });
    expect(none).toMatchObject({ headOid: undefined, pullRequest: undefined });
  });

  it('reads several files in one request, and finds PRs by label', async () => {
    const { gh, events } = client();
    const files = await gh.readFiles('main', ['envs/prod/values.yaml', 'README.md', 'missing.yaml']);
    expect(events).toHaveLength(1);
    expect([...files]).toEqual([
      ['envs/prod/values.yaml', 'image: v6\n'],
      ['README.md', '# manifests\n'],
      ['missing.yaml', undefined],
    ]);
    const labelled = await gh.listOpenPullRequestsByLabel('ml-gitops', { base: 'main' });
    expect(labelled.map((pr) => pr.headRefName)).toContain('ml-gitops/promote/churn/prod');
    expect(await gh.branchHead('main')).toBe(await tip('main'));
    expect(await gh.branchHead('nope')).toBeUndefined();
    expect(await gh.compare('main', 'ml-gitops/promote/churn/prod')).toEqual({ status: 'ahead', aheadBy: 1, behindBy: 0 });
  });

  it('tells who the token acts as', async () => {
    expect(await client().gh.tokenIdentity()).toEqual({ login: 'github-actions[bot]', isGitHubActions: true, isBot: true });
    expect(await client({ token: TOKENS.pat }).gh.tokenIdentity()).toEqual({ login: 'octocat', isGitHubActions: false, isBot: false });
  });

  it('works against a GitHub Enterprise Server base URL (/api/v3, GraphQL at /api/graphql)', async () => {
    const { gh } = client({ apiUrl: `${standIn.url}/api/v3` });
    expect(await gh.branchHead('main')).toBe(await tip('main'));
    expect((await gh.repositoryInfo()).nameWithOwner).toBe('acme/manifests');
    expect(standIn.requests.slice(-1)[0]?.url).toBe('/api/graphql');
  });
});

describe('writing', () => {
  it('returns the expected races as typed results', async () => {
    const { gh } = client();
    await promotionBranch(gh, 'race');
    const first = await gh.createPullRequest({ head: 'race', base: 'main', title: 't', body: '' });
    expect(first.kind).toBe('created');
    expect(await gh.createPullRequest({ head: 'race', base: 'main', title: 't', body: '' })).toEqual({ kind: 'already-exists' });
    expect(await gh.createBranch('race', await tip('main'))).toEqual({ kind: 'already-exists' });
    expect(await gh.updateBranch('race', await tip('main'))).toEqual({ kind: 'not-fast-forward' });
    expect(await gh.createBranch('same-as-main', await tip('main'))).toEqual({ kind: 'created' });
    expect(await gh.createPullRequest({ head: 'same-as-main', base: 'main', title: 't', body: '' })).toEqual({ kind: 'no-commits' });

    const stale = await tip('main');
    const moved = await gh.commitFiles({ branch: 'same-as-main', expectedHeadOid: stale, message: { headline: 'one' }, additions: [{ path: 'a.txt', contents: 'a' }] });
    expect(moved.kind).toBe('committed');
    expect(await gh.commitFiles({ branch: 'same-as-main', expectedHeadOid: stale, message: { headline: 'two' }, additions: [{ path: 'a.txt', contents: 'b' }] })).toEqual({
      kind: 'stale-head',
      expectedHeadOid: stale,
    });
    expect(await gh.updateBranch('same-as-main', stale, { force: true })).toEqual({ kind: 'updated' });
    expect(await gh.deleteBranch('same-as-main')).toBe(true);
    expect(await gh.deleteBranch('same-as-main')).toBe(false);
  });

  it('commits binary and text files and deletions as one verified commit', async () => {
    const { gh } = client();
    const main = await tip('main');
    await gh.createBranch('files', main);
    const result = await gh.commitFiles({
      branch: 'files',
      expectedHeadOid: main,
      message: { headline: 'Bump', body: 'ML-Gitops-Model: churn' },
      additions: [{ path: 'bin/model.bin', contents: new Uint8Array([0, 1, 2, 255]) }],
      deletions: ['README.md'],
    });
    if (result.kind !== 'committed') throw new Error(result.kind);
    expect(await git(bare, ['ls-tree', '-r', '--name-only', result.oid])).toBe('bin/model.bin\nenvs/prod/values.yaml');
    expect(await git(bare, ['log', '-1', '--format=%B', result.oid])).toBe('Bump\n\nML-Gitops-Model: churn');
  });

  it('sends only the given fields, and nothing when none is given', async () => {
    const { gh, events } = client();
    await promotionBranch(gh, 'fields');
    const created = await gh.createPullRequest({ head: 'fields', base: 'main', title: 'old', body: 'body stays' });
    if (created.kind !== 'created') throw new Error(created.kind);
    const before = events.length;
    await gh.updatePullRequest(created.pullRequest.number, {});
    await gh.addLabels(created.pullRequest.number, []);
    await gh.requestReviewers(created.pullRequest.number, {});
    expect(events.length).toBe(before);
    await gh.updatePullRequest(created.pullRequest.number, { title: 'new' });
    expect(events.slice(before).map((e) => `${e.method} ${e.route}`)).toEqual(['PATCH /repos/{owner}/{repo}/pulls/{pull_number}']);
    const pull = standIn.pulls('acme/manifests').find((p) => p.number === created.pullRequest.number);
    expect(pull).toMatchObject({ title: 'new', body: 'body stays' });

    expect(await gh.ensureLabel('promotion', '#0e8a16', 'ml-gitops promotion')).toBe(true);
    expect(await gh.ensureLabel('promotion', '0e8a16')).toBe(false);
    await gh.addLabels(created.pullRequest.number, ['promotion']);
    await gh.removeLabel(created.pullRequest.number, 'promotion');
    await gh.removeLabel(created.pullRequest.number, 'promotion');
    standIn.addMilestone('acme/manifests', 'Q3 models');
    const milestone = await gh.findMilestone('Q3 models');
    expect(milestone).toBe(1);
    await gh.setMilestone(created.pullRequest.number, milestone ?? null);
    await gh.addAssignees(created.pullRequest.number, ['bob']);
    await gh.comment(created.pullRequest.number, 'Superseded by #9');
    await gh.closePullRequest(created.pullRequest.number);
    expect(pull).toMatchObject({ state: 'closed', milestone: 1, assignees: ['bob'], labels: [] });
  });

  it('retries the eventual-consistency 422 right after creation', async () => {
    const { gh } = client();
    await promotionBranch(gh, 'lag');
    standIn.faults.nodeLagOnce(2);
    const created = await gh.createPullRequest({ head: 'lag', base: 'main', title: 'lag', body: '' });
    if (created.kind !== 'created') throw new Error(created.kind);
    await gh.addLabels(created.pullRequest.number, ['ml-gitops']);
    expect(logs.filter((line) => line.includes('does not show the new pull request yet'))).toHaveLength(2);
    expect(standIn.pulls('acme/manifests').find((p) => p.number === created.pullRequest.number)?.labels).toEqual(['ml-gitops']);
  });

  it('waits out secondary and primary rate limits, with a log line each', async () => {
    const { gh, events } = client();
    standIn.faults.secondaryRateLimitOnce({ retryAfterSeconds: 2 });
    expect(await gh.branchHead('main')).toBe(await tip('main'));
    standIn.faults.primaryRateLimitOnce({ resetInSeconds: 1 });
    expect((await gh.repositoryInfo()).defaultBranch).toBe('main');
    expect(events).toHaveLength(4);
    expect(logs.some((line) => /secondary rate limit on GET .*retrying in 2 s/.test(line))).toBe(true);
    expect(logs.some((line) => /rate limit reached on POST \/graphql; retrying/.test(line))).toBe(true);
  });

  it('gives up on a rate limit after the bounded retries', async () => {
    const { gh } = client({ rateLimitRetries: 1 });
    standIn.faults.secondaryRateLimitOnce();
    standIn.faults.secondaryRateLimitOnce();
    const text = await sentence(gh.branchHead('main'));
    expect(text).toMatch(/^GitHub refused to read branch main in acme\/manifests \(HTTP 403\): You have exceeded a secondary rate limit/);
  });
});

describe('auto-merge and merging', () => {
  it('reports not-allowed, already-mergeable, enabled, queued and requires-merge-queue as results', async () => {
    const { gh } = client();
    await promotionBranch(gh, 'auto');
    const created = await gh.createPullRequest({ head: 'auto', base: 'main', title: 'auto', body: '' });
    if (created.kind !== 'created') throw new Error(created.kind);
    const id = created.pullRequest.id;
    expect(await gh.enableAutoMerge({ pullRequestId: id, method: 'squash' })).toEqual({ kind: 'not-allowed' });
    standIn.settings('acme/manifests', { allowAutoMerge: true });
    expect(await gh.enableAutoMerge({ pullRequestId: id, method: 'squash' })).toEqual({ kind: 'already-mergeable', status: 'clean' });
    standIn.settings('acme/manifests', { requiredApprovals: { main: 1 } });
    expect(await gh.enableAutoMerge({ pullRequestId: id, method: 'squash', expectedHeadOid: await tip('auto') })).toEqual({ kind: 'enabled', method: 'squash' });
    expect((await gh.findOpenPullRequest({ head: 'auto', base: 'main' })).pullRequest?.autoMerge).toMatchObject({ method: 'squash', enabledBy: 'github-actions' });
    await gh.disableAutoMerge(id);
    expect(await gh.merge({ number: created.pullRequest.number, method: 'squash' })).toMatchObject({ kind: 'not-mergeable', reason: expect.stringContaining('approving review') });

    standIn.settings('acme/manifests', { mergeQueueBranches: ['main'], requiredApprovals: {} });
    expect((await gh.findOpenPullRequest({ head: 'auto', base: 'main' })).baseUsesMergeQueue).toBe(true);
    expect(await gh.merge({ number: created.pullRequest.number, method: 'squash' })).toEqual({ kind: 'requires-merge-queue' });
    expect(await gh.enqueue({ pullRequestId: id, expectedHeadOid: await tip('auto') })).toEqual({ kind: 'queued', position: 1 });
    standIn.settings('acme/manifests', { mergeQueueBranches: [], allowAutoMerge: false });
    standIn.pulls('acme/manifests').forEach((p) => (p.inMergeQueue = false));

    const merged = await gh.merge({ number: created.pullRequest.number, method: 'squash', sha: await tip('auto') });
    expect(merged.kind).toBe('merged');
    expect(await git(bare, ['show', 'main:envs/prod/values.yaml'])).toBe('image: auto');
  });
});

describe('error sentences', () => {
  it('names the token input on bad credentials, never the token', async () => {
    const text = await sentence(client({ token: 'ghp_revokedTokenValue123' }).gh.branchHead('main'));
    expect(text).toBe('GitHub refused the token in input "token" ("Bad credentials"): it is expired, revoked or not a GitHub token; pass a valid token.');
    expect(text).not.toContain('ghp_revokedTokenValue123');
  });

  it('names the missing permission', async () => {
    const { gh } = client({ token: TOKENS.readOnly });
    expect(await sentence(gh.createBranch('ro', await tip('main')))).toBe(
      'The token in input "token" may not create branch ro in acme/manifests: grant it `contents: write` (in the workflow: `permissions: { contents: write }`), or pass a token that has it.',
    );
    await client().gh.createBranch('ro-pr', await tip('main'));
    await client().gh.commitFiles({ branch: 'ro-pr', expectedHeadOid: await tip('main'), message: { headline: 'x' }, additions: [{ path: 'x', contents: 'x' }] });
    expect(await sentence(gh.createPullRequest({ head: 'ro-pr', base: 'main', title: 't', body: '' }))).toContain('grant it `pull-requests: write`');
  });

  it('names the "Allow GitHub Actions to create and approve pull requests" setting', async () => {
    const { gh } = client();
    await promotionBranch(gh, 'setting');
    standIn.settings('acme/manifests', { actionsCanCreatePullRequests: false });
    try {
      const text = await sentence(gh.createPullRequest({ head: 'setting', base: 'main', title: 't', body: '' }));
      expect(text).toContain('turn on "Allow GitHub Actions to create and approve pull requests"');
      expect(text).toContain('input "token"');
    } finally {
      standIn.settings('acme/manifests', { actionsCanCreatePullRequests: true });
    }
  });

  it('names the workflows permission for a change to .github/workflows/', async () => {
    const { gh } = client({ token: TOKENS.app });
    const main = await tip('main');
    await gh.createBranch('wf', main);
    const text = await sentence(gh.commitFiles({ branch: 'wf', expectedHeadOid: main, message: { headline: 'x' }, additions: [{ path: '.github/workflows/ci.yml', contents: 'on: push\n' }] }));
    expect(text).toContain('The change touches the workflow file .github/workflows/ci.yml');
    expect(text).toContain('`workflow` scope');
  });

  it('names the base input when the base branch is missing, and the protected branch', async () => {
    const { gh } = client();
    await promotionBranch(gh, 'nobase');
    expect(await sentence(gh.createPullRequest({ head: 'nobase', base: 'release', title: 't', body: '' }))).toBe(
      'The base branch of the pull request does not exist in acme/manifests: check input "base", or create that branch first.',
    );
    standIn.settings('acme/manifests', { protectedBranches: ['main'] });
    try {
      const text = await sentence(gh.commitFiles({ branch: 'main', expectedHeadOid: await tip('main'), message: { headline: 'x' }, additions: [{ path: 'x', contents: 'x' }] }));
      expect(text).toMatch(/^GitHub refused to commit to branch main: branch main of acme\/manifests is protected against direct writes/);
    } finally {
      standIn.settings('acme/manifests', { protectedBranches: [] });
    }
  });

  it('names labels and the fix when the token may not create a missing label', async () => {
    const { gh } = client({ token: TOKENS.prOnly });
    await promotionBranch(client().gh, 'labels-denied');
    const created = await gh.createPullRequest({ head: 'labels-denied', base: 'main', title: 't', body: '' });
    if (created.kind !== 'created') throw new Error(created.kind);
    const fix = 'create it once by hand (Issues > Labels > New label), or give the token `issues: write` (in the workflow: `permissions: { issues: write }`).';
    expect(await sentence(gh.createLabel('needs-review', 'bfd4f2'))).toBe(
      `The token in input "token" may not create labels in acme/manifests, and the label needs-review (input "labels") does not exist there yet: ${fix}`,
    );
    // Adding a label the repository lacks creates it: refused the same way, with GitHub's 403.
    expect(await sentence(gh.addLabels(created.pullRequest.number, ['needs-review']))).toBe(
      `The token in input "token" may not create labels in acme/manifests, and a label the pull request should carry (input "labels") does not exist there yet: ${fix}`,
    );
    const refused = standIn.requests.at(-1);
    expect(refused).toMatchObject({ operationId: 'issues/add-labels', status: 403 });
    // A label that exists is added with pull-requests: write alone.
    standIn.addLabel('acme/manifests', 'needs-review');
    await gh.addLabels(created.pullRequest.number, ['needs-review']);
    expect(standIn.pulls('acme/manifests').find((p) => p.number === created.pullRequest.number)?.labels).toEqual(['needs-review']);
  });

  it('requests the reviewers GitHub accepts and reports, one sentence each, those it refuses', async () => {
    standIn.settings('acme/manifests', { teams: ['ml-platform'], collaborators: ['alice', 'carol'] });
    try {
      const { gh, events } = client();
      await promotionBranch(gh, 'reviewers');
      const created = await gh.createPullRequest({ head: 'reviewers', base: 'main', title: 't', body: '' });
      if (created.kind !== 'created') throw new Error(created.kind);
      const number = created.pullRequest.number;

      // The workflow's GITHUB_TOKEN cannot see a team: GitHub's "Could not resolve to a node", never retried as lag.
      const before = events.length;
      const logged = logs.length;
      const teams = await gh.requestReviewers(number, { users: ['alice'], teams: ['ml-platform'] });
      expect(teams.requested).toEqual({ users: ['alice'], teams: [] });
      expect(teams.refused).toHaveLength(1);
      expect(teams.refused[0]).toMatchObject({ name: 'ml-platform', team: true, reason: 'team-not-visible' });
      expect(renderInputRefs(teams.refused[0]?.sentence ?? '', 'action')).toBe(
        'the token in input "token" cannot see the team ml-platform (input "team-reviewers") ("Could not resolve to a node with the global id of ..."): teams belong to the organisation, which the workflow\'s GITHUB_TOKEN can never read; pass a personal access token with the `repo` scope, or a GitHub App token with the organisation permission "Members: read", in input "token", or leave input "team-reviewers" empty.',
      );
      expect(events.length - before).toBe(3); // both, then each on its own
      expect(logs.slice(logged).some((line) => line.includes('does not show the new pull request yet'))).toBe(false);

      // The author (the token's own login) and a stranger are refused; carol is still requested.
      const people = await gh.requestReviewers(number, { users: ['github-actions[bot]', 'mallory', 'carol'] });
      expect(people.requested.users).toEqual(['carol']);
      expect(people.refused.map((r) => `${r.name}:${r.reason}`)).toEqual(['github-actions[bot]:review-from-author', 'mallory:not-collaborator']);
      expect(renderInputRefs(people.refused[1]?.sentence ?? '', 'action')).toBe(
        'mallory is not a collaborator of acme/manifests, and GitHub requests reviews only from collaborators (and teams with access to the repository); fix the name, or give mallory access to acme/manifests.',
      );
      const pull = standIn.pulls('acme/manifests').find((p) => p.number === number);
      expect(pull?.requestedReviewers).toEqual(['alice', 'carol']);
      expect(pull?.requestedTeams).toEqual([]);

      // An App token with the organisation's Members: read requests the team.
      const app = await client({ token: TOKENS.appWithMembers }).gh.requestReviewers(number, { teams: ['ml-platform'] });
      expect(app).toEqual({ requested: { users: [], teams: ['ml-platform'] }, refused: [] });
    } finally {
      standIn.settings('acme/manifests', { teams: [], collaborators: undefined });
    }
  });

  it('converts a pull request to a draft and marks it ready for review (GraphQL)', async () => {
    const { gh, events } = client();
    await promotionBranch(gh, 'drafts');
    const created = await gh.createPullRequest({ head: 'drafts', base: 'main', title: 't', body: '', draft: true });
    if (created.kind !== 'created') throw new Error(created.kind);
    const pull = standIn.pulls('acme/manifests').find((p) => p.number === created.pullRequest.number);
    const before = events.length;
    await gh.setDraft(created.pullRequest.id, false);
    expect(pull?.draft).toBe(false);
    await gh.setDraft(created.pullRequest.id, true);
    expect(pull?.draft).toBe(true);
    expect(events.slice(before).map((e) => `${e.operationName}:${e.write}`)).toEqual(['MarkReadyForReview:true', 'ConvertToDraft:true']);
    expect(await sentence(client({ token: TOKENS.readOnly }).gh.setDraft(created.pullRequest.id, false))).toContain(
      'may not mark the pull request ready for review in acme/manifests: grant it `pull-requests: write`',
    );
  });

  it('names the repository input when the repository is not there', async () => {
    const { gh } = client({ repository: { owner: 'acme', repo: 'missing' } });
    expect(await sentence(gh.repositoryInfo())).toBe(
      'Repository acme/missing (input "repository") was not found, or the token in input "token" cannot see it: check the name, and give the token access to that repository.',
    );
  });

  it('gives up on a server that accepts the connection but never answers, in seconds, naming github-api-url', async () => {
    const sockets: Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const { gh, events } = client({ apiUrl: url, inputs: { token: 'token', repository: 'repository', base: 'base', apiUrl: 'github-api-url' }, requestTimeoutMs: 100 });
      expect(await sentence(gh.repositoryInfo())).toBe(
        `Could not reach GitHub at ${url} to read the repository: no answer within 0.1 s, in each of 4 attempts; check input "github-api-url" and the network.`,
      );
      expect(events).toHaveLength(4);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
