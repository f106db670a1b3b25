/**
 * The promotion PR logic against the strict GitHub stand-in (real bare git repository, REST and GraphQL validated
 * against GitHub's descriptions): created, unchanged (no write at all), updated, base moved, concurrent runs,
 * supersede, body markers, truncation, labels, reviewers, auto-merge, the error sentences, head-branch mode.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { parseTrailers } from '../../../src/lib/ledger.ts';
import { BODY_LIMIT, openPromotionPullRequest, type PromotionRequest } from '../../../src/lib/promotion-pr/index.ts';
import { removeTempDirs } from '../../support/git-repos.ts';
import { promotion, REPO, startFixture, TOKENS, type Fixture } from './helpers.ts';

const BRANCH = 'ml-gitops/promote/churn/prod';
const fixtures: Fixture[] = [];
const errorsSeen: string[] = [];

async function fixture(settings: Parameters<typeof startFixture>[0] = {}): Promise<Fixture> {
  const f = await startFixture(settings);
  fixtures.push(f);
  return f;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  const text = renderInputRefs((error as UserError).message, 'action');
  errorsSeen.push(text, String((error as Error).stack));
  return text;
}

function writes(events: { write: boolean }[]): number {
  return events.filter((event) => event.write).length;
}

afterEach(async () => {
  for (const f of fixtures.splice(0)) {
    expect(f.standIn.violations).toEqual([]);
    // The token never shows in a URL the stand-in received, a log line or an error.
    const everything = [...f.standIn.requests.map((r) => r.url), ...f.logs, ...errorsSeen].join('\n');
    for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
    await f.standIn.stop();
  }
});

afterAll(() => removeTempDirs());

describe('create, rerun, update', () => {
  it('creates one verified commit on the base tip and the PR; a rerun makes one read and no write', async () => {
    const f = await fixture();
    const { gh, events } = f.client();
    const { request } = promotion({ body: 'Requested by the churn team.', labels: ['promotion'], reviewers: ['alice'], assignees: ['bob'] });
    const first = await openPromotionPullRequest(gh, request);
    expect(first).toMatchObject({ operation: 'created', branch: BRANCH, superseded: [], autoMerge: 'off', previousVersion: '6', githubActionsToken: true });
    const main = await f.tip('main');
    const head = await f.tip(BRANCH);
    expect(first.pullRequest?.headSha).toBe(head);
    const commit = await f.store.commit(head as string);
    expect(commit.parents).toEqual([main]);
    expect(parseTrailers(commit.message)).toMatchObject({ 'Model-Name': ['churn'], 'Model-Version': ['7'], 'Previous-Version': ['6'], Environment: ['prod'], 'Manifest-Update': ['envs/prod/values.yaml:model.version=7'] });
    // Byte-preserving: only the scalar changed, comments and quotes kept.
    expect(await f.file(BRANCH, 'envs/prod/values.yaml')).toBe((await f.file('main', 'envs/prod/values.yaml'))?.replace('version: "6"', 'version: "7"'));

    const [pull] = f.standIn.pulls(REPO);
    expect(pull).toMatchObject({ title: 'Promote churn 7 to prod', labels: ['ml-gitops', 'promotion'], assignees: ['bob'], requestedReviewers: ['alice'], state: 'open' });
    expect(pull?.body).toMatch(/^Requested by the churn team\.\n\n<!-- ml-gitops:promotion model=churn environment=prod version=7 -->/);
    expect(pull?.body).toContain('| `f1` | 0.89 | 0.91 | +0.02 |');
    expect(pull?.body).toContain('-  version: "6" # promoted by ml-gitops\n+  version: "7" # promoted by ml-gitops');
    expect(pull?.body).toContain('[workflow run](https://github.com/acme/churn/actions/runs/41)');
    expect(f.standIn.repo(REPO).labels.get('promotion')?.color).toBe('bfd4f2');
    expect(f.standIn.repo(REPO).labels.get('ml-gitops')?.color).toBe('0e8a16');
    expect(writes(events)).toBeLessThanOrEqual(8);

    // The rerun: a later workflow run (another run link), same inputs.
    const before = f.standIn.requests.length;
    const again = promotion({ body: 'Requested by the churn team.', labels: ['promotion'], reviewers: ['alice'], assignees: ['bob'], runUrl: 'https://github.com/acme/churn/actions/runs/42' });
    const rerun = await openPromotionPullRequest(f.client().gh, again.request);
    expect(rerun).toMatchObject({ operation: 'unchanged', changes: [], pullRequest: { number: pull?.number, headSha: head } });
    const counts = f.standIn.counts(before);
    expect(counts.writes).toBe(0);
    expect(counts.total).toBe(1);
    expect(await f.tip(BRANCH)).toBe(head);
  });

  it('updates to a new version with one fresh commit on the base tip, and the body, in place', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    const { gh, events } = f.client();
    const updated = await openPromotionPullRequest(gh, promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request);
    expect(updated.operation).toBe('updated');
    expect(updated.changes).toEqual([expect.stringMatching(/^re-created the commit on ml-gitops\/promote\/churn\/prod/), 'updated the title and body of #1']);
    const head = await f.tip(BRANCH);
    expect((await f.store.commit(head as string)).parents).toEqual([await f.tip('main')]);
    expect(await f.file(BRANCH, 'envs/prod/values.yaml')).toContain('version: "8"');
    expect(f.standIn.pulls(REPO)).toHaveLength(1);
    expect(f.standIn.pulls(REPO)[0]).toMatchObject({ state: 'open', title: 'Promote churn 8 to prod' });
    // No scratch branch is left behind.
    expect([...(await f.store.branches()).keys()].sort()).toEqual(['main', BRANCH]);
    expect(events.length).toBeLessThanOrEqual(7);
  });

  it('re-creates the commit on the new tip when base moved, keeping exactly one commit', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    const old = await f.tip(BRANCH);
    const moved = await f.push('main', { 'README.md': '# manifests, moved\n' }, 'Unrelated change');
    const rerun = await openPromotionPullRequest(f.client().gh, promotion().request);
    expect(rerun.operation).toBe('updated');
    const head = await f.tip(BRANCH);
    expect(head).not.toBe(old);
    expect((await f.store.commit(head as string)).parents).toEqual([moved]);
    expect(await f.store.commitsBetween(moved, head as string)).toHaveLength(1);
    expect(await f.file(BRANCH, 'README.md')).toBe('# manifests, moved\n');
    expect(f.standIn.pulls(REPO)[0]?.state).toBe('open');
  });

  it('ends two concurrent runs with one PR, one commit, both green', async () => {
    const f = await fixture();
    const [a, b] = await Promise.all([openPromotionPullRequest(f.client().gh, promotion().request), openPromotionPullRequest(f.client().gh, promotion().request)]);
    expect([a.operation, b.operation]).toContain('created');
    expect(a.pullRequest?.number).toBe(b.pullRequest?.number);
    expect(f.standIn.pulls(REPO)).toHaveLength(1);
    const head = await f.tip(BRANCH);
    expect(await f.store.commitsBetween((await f.tip('main')) as string, head as string)).toHaveLength(1);
    expect(f.standIn.pulls(REPO)[0]?.labels).toEqual(['ml-gitops']);
  });

  it('ends two concurrent runs after base moved, with the PR open, with one PR and one commit on the new tip', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    const moved = await f.push('main', { 'README.md': '# moved\n' }, 'Unrelated change');
    const v8 = () => promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request;
    const outcomes = await Promise.all([openPromotionPullRequest(f.client().gh, v8()), openPromotionPullRequest(f.client().gh, v8())]);
    expect(outcomes.map((o) => o.pullRequest?.number)).toEqual([1, 1]);
    expect(f.standIn.pulls(REPO).map((p) => p.state)).toEqual(['open']);
    const head = (await f.tip(BRANCH)) as string;
    expect(await f.store.commitsBetween(moved, head)).toHaveLength(1);
    expect(await f.file(BRANCH, 'envs/prod/values.yaml')).toContain('version: "8"');
    expect([...(await f.store.branches()).keys()].sort()).toEqual(['main', BRANCH]);
  });

  it('waits out a secondary rate limit in the middle of a promotion', async () => {
    const f = await fixture();
    f.standIn.faults.secondaryRateLimitOnce({ retryAfterSeconds: 1 });
    const outcome = await openPromotionPullRequest(f.client().gh, promotion().request);
    expect(outcome.operation).toBe('created');
    expect(f.logs.some((line) => /secondary rate limit .*retrying in 1 s/.test(line))).toBe(true);
  });

  it('retries the eventual-consistency 422 right after the PR is created', async () => {
    const f = await fixture();
    f.standIn.faults.nodeLagOnce(1);
    const outcome = await openPromotionPullRequest(f.client().gh, promotion({ labels: ['promotion'] }).request);
    expect(outcome.operation).toBe('created');
    expect(f.standIn.pulls(REPO)[0]?.labels).toEqual(['ml-gitops', 'promotion']);
  });

  it('closes its PR when the base already holds every value', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    await f.push('main', { 'envs/prod/values.yaml': (await f.file(BRANCH, 'envs/prod/values.yaml')) as string }, 'Promoted by hand');
    const outcome = await openPromotionPullRequest(f.client().gh, promotion().request);
    expect(outcome).toMatchObject({ operation: 'closed', changes: [expect.stringContaining('closed #1')] });
    expect(f.standIn.pulls(REPO)[0]?.state).toBe('closed');
    expect(await f.tip(BRANCH)).toBeUndefined();
  });

  it('leaves a PR a person pushed to open when the base already holds every value, and says so in the outcome', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    await f.push(BRANCH, { 'envs/prod/notes.txt': 'keep me\n' });
    await f.push('main', { 'envs/prod/values.yaml': (await f.file(BRANCH, 'envs/prod/values.yaml')) as string }, 'Promoted by hand');
    const outcome = await openPromotionPullRequest(f.client().gh, promotion().request);
    expect(outcome.operation).toBe('unchanged');
    expect(outcome.warnings).toEqual([expect.stringMatching(/^Pull request #1 has commits by someone else, so it is left open although main already holds the values\./)]);
    expect(f.standIn.pulls(REPO)[0]?.state).toBe('open');
  });
});

describe('supersede', () => {
  it('closes the older promotion with "Superseded by #N" and deletes its branch; a PR a person pushed to stays open', async () => {
    const f = await fixture();
    const pushed = await openPromotionPullRequest(f.client().gh, promotion({ branch: 'ml-gitops/promote/churn/prod-hand' }).request);
    await f.push('ml-gitops/promote/churn/prod-hand', { 'envs/prod/notes.txt': 'keep me\n' });
    const older = await openPromotionPullRequest(f.client().gh, promotion({ branch: 'ml-gitops/promote/churn/prod-v7' }).request);
    expect(older.superseded).toEqual([]);
    const other = await openPromotionPullRequest(f.client().gh, promotion({ environment: 'staging', lines: ['envs/staging/values.yaml:model.version=7'] }).request);

    const { request, warnings } = promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] });
    const newer = await openPromotionPullRequest(f.client().gh, request);
    expect(newer.superseded).toEqual([older.pullRequest?.number]);
    const pulls = new Map(f.standIn.pulls(REPO).map((p) => [p.number, p]));
    expect(pulls.get(older.pullRequest?.number as number)?.state).toBe('closed');
    expect(f.standIn.repo(REPO).comments.find((c) => c.issueNumber === older.pullRequest?.number)?.body).toBe(`Superseded by #${newer.pullRequest?.number}.`);
    expect(await f.tip('ml-gitops/promote/churn/prod-v7')).toBeUndefined();
    expect(pulls.get(pushed.pullRequest?.number as number)?.state).toBe('open');
    expect(warnings.join('\n')).toMatch(/#1 \(ml-gitops\/promote\/churn\/prod-hand\) promotes churn to prod too, but someone pushed to it, so it is left open/);
    expect(pulls.get(other.pullRequest?.number as number)?.state).toBe('open');
  });

  it('keeps superseded branches when delete-superseded-branches is false', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion({ branch: 'ml-gitops/promote/churn/prod-v7' }).request);
    const newer = await openPromotionPullRequest(f.client().gh, promotion({ deleteSupersededBranches: false, modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request);
    expect(newer.superseded).toEqual([1]);
    expect(await f.tip('ml-gitops/promote/churn/prod-v7')).toBeDefined();
  });
});

describe('body, labels, reviewers', () => {
  it('keeps the text people wrote outside the markers', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion({ body: 'Original intro.' }).request);
    const pull = f.standIn.pulls(REPO)[0];
    if (pull === undefined) throw new Error('no PR');
    pull.body = `Edited intro by a reviewer.\n\n${pull.body?.replace('Original intro.\n\n', '') ?? ''}\n\nChecklist:\n- [x] canary looked fine`;
    await openPromotionPullRequest(f.client().gh, promotion({ body: 'Original intro.', modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request);
    expect(pull.body).toMatch(/^Edited intro by a reviewer\.\n\n<!-- ml-gitops:promotion model=churn environment=prod version=8 -->/);
    expect(pull.body).toMatch(/<!-- \/ml-gitops:promotion -->\n\nChecklist:\n- \[x\] canary looked fine$/);
    expect(pull.body).not.toContain('version: "7"');
  });

  it('cuts the diff, never the evaluation table, to stay under 65,536 characters', async () => {
    const f = await fixture();
    const long = (c: string) => c.repeat(40_000);
    const { request, warnings } = promotion({ lines: [`envs/prod/values.yaml:image.repository=${long('a')}`, `envs/staging/values.yaml:image.repository=${long('b')}`] });
    const outcome = await openPromotionPullRequest(f.client().gh, request);
    expect(outcome.operation).toBe('created');
    const body = f.standIn.pulls(REPO)[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body).toContain('| `roc_auc` | 0.94 | 0.95 | +0.01 |');
    expect(body).toMatch(/The diff is cut to fit GitHub's 65,536 character limit \(\d+ of \d+ lines shown\)/);
    expect(warnings.join('\n')).toContain('too long for a pull request body');
    expect(await f.file(BRANCH, 'envs/staging/values.yaml')).toContain(long('b'));
  });

  it('creates missing labels with a colour, keeps labels people added, never re-requests a given review', async () => {
    const f = await fixture();
    f.standIn.addLabel(REPO, 'team-ml', '5319e7');
    const wanted = { labels: ['promotion', 'team-ml'], reviewers: ['alice', 'carol'] };
    const first = await openPromotionPullRequest(f.client().gh, promotion(wanted).request);
    const number = first.pullRequest?.number as number;
    expect(f.standIn.repo(REPO).labels.get('team-ml')?.color).toBe('5319e7');
    const pull = f.standIn.pulls(REPO)[0];
    if (pull === undefined) throw new Error('no PR');
    pull.labels.push('hold');
    await f.standIn.addReview(REPO, number, { login: 'alice', state: 'APPROVED' });
    expect(pull.requestedReviewers).toEqual(['carol']);

    const before = f.standIn.requests.length;
    const rerun = await openPromotionPullRequest(f.client().gh, promotion(wanted).request);
    expect(rerun.operation).toBe('unchanged');
    expect(f.standIn.counts(before).writes).toBe(0);
    expect(pull.labels).toEqual(['ml-gitops', 'promotion', 'team-ml', 'hold']);
    expect(pull.requestedReviewers).toEqual(['carol']);

    // A new reviewer is requested; alice is not asked again.
    const more = await openPromotionPullRequest(f.client().gh, promotion({ ...wanted, reviewers: ['alice', 'carol', 'dave'], labels: ['promotion', 'team-ml', 'q3'] }).request);
    expect([...more.changes].sort()).toEqual(['added 1 label q3', 'created label q3', 'requested dave']);
    expect(pull.requestedReviewers.sort()).toEqual(['carol', 'dave']);
    expect(pull.labels).toContain('hold');
  });

  it('sets the draft state only where it differs, and leaves it as people set it when draft is not given', async () => {
    const f = await fixture();
    const created = await openPromotionPullRequest(f.client().gh, promotion({ draft: true }).request);
    expect(created.operation).toBe('created');
    const pull = f.standIn.pulls(REPO)[0];
    expect(pull?.draft).toBe(true);

    // Same inputs: nothing written.
    let before = f.standIn.requests.length;
    expect((await openPromotionPullRequest(f.client().gh, promotion({ draft: true }).request)).operation).toBe('unchanged');
    expect(f.standIn.counts(before)).toMatchObject({ total: 1, writes: 0 });

    // draft: false marks it ready for review (one GraphQL mutation), and back.
    before = f.standIn.requests.length;
    const ready = await openPromotionPullRequest(f.client().gh, promotion({ draft: false }).request);
    expect(ready).toMatchObject({ operation: 'updated', changes: ['marked #1 ready for review'] });
    expect(pull?.draft).toBe(false);
    expect(f.standIn.counts(before)).toMatchObject({ writes: 1, byRoute: { 'graphql mutation markPullRequestReadyForReview': 1 } });
    before = f.standIn.requests.length;
    expect((await openPromotionPullRequest(f.client().gh, promotion({ draft: false }).request)).operation).toBe('unchanged');
    expect(f.standIn.counts(before).writes).toBe(0);
    expect((await openPromotionPullRequest(f.client().gh, promotion({ draft: true }).request)).changes).toEqual(['converted #1 to a draft']);
    expect(pull?.draft).toBe(true);

    // Not given: a person's choice stands.
    before = f.standIn.requests.length;
    expect((await openPromotionPullRequest(f.client().gh, promotion().request)).operation).toBe('unchanged');
    expect(f.standIn.counts(before).writes).toBe(0);
    expect(pull?.draft).toBe(true);
  });

  it('skips, with a warning naming team-reviewers and the token fix, the team reviewers a GITHUB_TOKEN cannot request', async () => {
    const f = await fixture({ teams: ['ml-platform'] });
    const run = promotion({ reviewers: ['alice'], teamReviewers: ['ml-platform'] });
    const outcome = await openPromotionPullRequest(f.client().gh, run.request);
    expect(outcome.operation).toBe('created');
    const warning =
      'Skipped team reviewers ml-platform: the token in input "token" cannot see the team ml-platform (input "team-reviewers") ("Could not resolve to a node with the global id of ..."): teams belong to the organisation, which the workflow\'s GITHUB_TOKEN can never read; pass a personal access token with the `repo` scope, or a GitHub App token with the organisation permission "Members: read", in input "token", or leave input "team-reviewers" empty.';
    expect(run.warnings.map((w) => renderInputRefs(w, 'action'))).toEqual([warning]);
    expect(outcome.warnings).toEqual(run.warnings);
    expect(f.standIn.pulls(REPO)[0]).toMatchObject({ requestedReviewers: ['alice'], requestedTeams: [], labels: ['ml-gitops'] });
    // Known in advance for the GITHUB_TOKEN: no doomed request, so a rerun still writes nothing.
    expect(f.standIn.requests.filter((r) => r.operationId === 'pulls/request-reviewers')).toHaveLength(1);
    const before = f.standIn.requests.length;
    const rerun = promotion({ reviewers: ['alice'], teamReviewers: ['ml-platform'] });
    expect((await openPromotionPullRequest(f.client().gh, rerun.request)).operation).toBe('unchanged');
    expect(f.standIn.counts(before).writes).toBe(0);
    expect(rerun.warnings).toHaveLength(1);

    // An App token without the organisation's "Members: read" meets GitHub's refusal itself: same sentence, PR kept.
    const app = promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'], reviewers: ['carol'], teamReviewers: ['ml-platform'] });
    const updated = await openPromotionPullRequest(f.client(TOKENS.app).gh, app.request);
    expect(updated.operation).toBe('updated');
    expect(app.warnings.map((w) => renderInputRefs(w, 'action'))).toEqual([
      expect.stringMatching(/^Skipped team reviewer ml-platform: the token in input "token" cannot see the team ml-platform \(input "team-reviewers"\)/),
    ]);
    expect(f.standIn.pulls(REPO)[0]?.requestedReviewers).toEqual(['alice', 'carol']);
  });

  it('skips, with a warning, a reviewer who is the token itself or no collaborator, and requests the others', async () => {
    const f = await fixture({ collaborators: ['alice', 'carol'] });
    const run = promotion({ reviewers: ['github-actions[bot]', 'alice', 'mallory'] });
    const outcome = await openPromotionPullRequest(f.client().gh, run.request);
    expect(outcome.operation).toBe('created');
    expect(run.warnings.map((w) => renderInputRefs(w, 'action'))).toEqual([
      'Skipped reviewer github-actions[bot]: github-actions[bot] (input "reviewers") is the author of the pull request (the token in input "token" is the author of the pull requests it opens), and GitHub does not let authors review their own pull requests; leave github-actions[bot] out of input "reviewers".',
      'Skipped reviewer mallory: mallory is not a collaborator of acme/manifests, and GitHub requests reviews only from collaborators (and teams with access to the repository); fix the name, or give mallory access to acme/manifests.',
    ]);
    expect(f.standIn.pulls(REPO)[0]?.requestedReviewers).toEqual(['alice']);
    // The author is never asked, however its login is spelled (GitHub shows `github-actions[bot]` as `github-actions`).
    const rerun = promotion({ reviewers: ['github-actions', 'carol'] });
    expect((await openPromotionPullRequest(f.client().gh, rerun.request)).changes).toEqual(['requested carol']);
    expect(rerun.warnings.map((w) => renderInputRefs(w, 'action'))).toEqual([expect.stringMatching(/^Skipped reviewer github-actions: github-actions \(input "reviewers"\) is the author/)]);
  });

  it('sets the milestone by title and names the open ones when the title is unknown', async () => {
    const f = await fixture();
    f.standIn.addMilestone(REPO, 'Q3 models');
    await openPromotionPullRequest(f.client().gh, promotion({ milestone: 'Q3 models' }).request);
    expect(f.standIn.pulls(REPO)[0]?.milestone).toBe(1);
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ milestone: 'Q4' }).request))).toBe(
      'acme/manifests has no open milestone titled "Q4" (input "milestone"); the open ones are "Q3 models".',
    );
    expect(f.standIn.pulls(REPO)).toHaveLength(1);
  });

  it('takes a milestone by number only when it names an open one, refusing before any write', async () => {
    const f = await fixture();
    f.standIn.addMilestone(REPO, 'Q3 models');
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ milestone: '7' }).request))).toBe(
      'acme/manifests has no open milestone numbered or titled "7" (input "milestone"); the open ones are "Q3 models".',
    );
    expect(f.standIn.pulls(REPO)).toHaveLength(0);
    await openPromotionPullRequest(f.client().gh, promotion({ milestone: '1' }).request);
    expect(f.standIn.pulls(REPO)[0]?.milestone).toBe(1);
  });
});

describe('auto-merge', () => {
  const request = (overrides: Partial<PromotionRequest>) => promotion(overrides).request;

  it('enables auto-merge when the PR waits for a review, and leaves it on when rerun', async () => {
    const f = await fixture({ allowAutoMerge: true, requiredApprovals: { main: 1 } });
    const first = await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'squash' }));
    expect(first.autoMerge).toBe('enabled');
    expect(f.standIn.pulls(REPO)[0]?.autoMerge).toMatchObject({ method: 'SQUASH' });
    const before = f.standIn.requests.length;
    const rerun = await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'squash' }));
    expect(rerun).toMatchObject({ operation: 'unchanged', autoMerge: 'enabled' });
    expect(f.standIn.counts(before)).toMatchObject({ total: 1, writes: 0 });
  });

  it('enqueues when the base uses a merge queue', async () => {
    const f = await fixture({ mergeQueueBranches: ['main'] });
    const outcome = await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'merge' }));
    expect(outcome.autoMerge).toBe('queued');
    expect(f.standIn.pulls(REPO)[0]?.inMergeQueue).toBe(true);
    expect((await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'merge' }))).operation).toBe('unchanged');
  });

  it('says when the repository does not allow auto-merge: fail, leave, or merge directly', async () => {
    const f = await fixture({ requiredApprovals: {} });
    const text = await failure(openPromotionPullRequest(f.client().gh, request({ autoMerge: 'squash' })));
    expect(text).toBe(
      'Auto-merge cannot be enabled on pull request #1 (https://github.com/acme/manifests/pull/1): acme/manifests does not allow auto-merge; turn on "Allow auto-merge" in the repository\'s Settings > General, or set input "auto-merge-fallback" to merge (merge it now) or leave (leave it open).',
    );
    const left = promotion({ autoMerge: 'squash', autoMergeFallback: 'leave' });
    const outcome = await openPromotionPullRequest(f.client().gh, left.request);
    expect(outcome).toMatchObject({ autoMerge: 'off', operation: 'unchanged' });
    expect(left.warnings.join('\n')).toContain('Auto-merge is not on for pull request #1: acme/manifests does not allow auto-merge');
    const merged = await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'squash', autoMergeFallback: 'merge' }));
    expect(merged).toMatchObject({ autoMerge: 'merged', operation: 'updated' });
    expect(await f.file('main', 'envs/prod/values.yaml')).toContain('version: "7"');
  });

  it('says when the PR is already mergeable (clean status), and merges it with auto-merge-fallback: merge', async () => {
    const f = await fixture({ allowAutoMerge: true });
    const text = await failure(openPromotionPullRequest(f.client().gh, request({ autoMerge: 'rebase' })));
    expect(text).toContain('Auto-merge cannot be enabled on pull request #1 (https://github.com/acme/manifests/pull/1): it is already mergeable (clean status), so there is nothing to wait for');
    const merged = await openPromotionPullRequest(f.client().gh, request({ autoMerge: 'squash', autoMergeFallback: 'merge' }));
    expect(merged.autoMerge).toBe('merged');
    expect(f.standIn.pulls(REPO)[0]).toMatchObject({ merged: true });
  });
});

describe('error sentences', () => {
  it('names contents: write, and leaves nothing behind', async () => {
    const f = await fixture();
    expect(await failure(openPromotionPullRequest(f.client(TOKENS.readOnly).gh, promotion().request))).toBe(
      'The token in input "token" may not create branch ml-gitops/promote/churn/prod in acme/manifests: grant it `contents: write` (in the workflow: `permissions: { contents: write }`), or pass a token that has it.',
    );
    expect(await f.tip(BRANCH)).toBeUndefined();
  });

  it('names pull-requests: write', async () => {
    const f = await fixture();
    expect(await failure(openPromotionPullRequest(f.client(TOKENS.prRead).gh, promotion().request))).toContain('may not create the pull request in acme/manifests: grant it `pull-requests: write`');
  });

  it('names the "Allow GitHub Actions to create and approve pull requests" setting', async () => {
    const f = await fixture({ actionsCanCreatePullRequests: false });
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion().request))).toMatch(
      /^GitHub Actions may not create pull requests in acme\/manifests: turn on "Allow GitHub Actions to create and approve pull requests" in the repository's Settings > Actions > General/,
    );
  });

  it('names the workflows permission for a change to .github/workflows/, and deletes the branch it had created', async () => {
    const f = await fixture();
    const text = await failure(openPromotionPullRequest(f.client(TOKENS.app).gh, promotion({ lines: ['.github/workflows/deploy.yml:env.MODEL_VERSION=7'] }).request));
    expect(text).toMatch(/^The change touches the workflow file \.github\/workflows\/deploy\.yml, which the token in input "token" may not write/);
    expect(await f.tip(BRANCH)).toBeUndefined();
  });

  it('names labels and the fix when a label is missing and the token may not create labels; the PR stays in the outputs', async () => {
    const f = await fixture();
    const error = await openPromotionPullRequest(f.client(TOKENS.noLabelCreation).gh, promotion({ labels: ['promotion'], reviewers: ['alice'] }).request).then(
      () => undefined,
      (e: unknown) => e as UserError,
    );
    expect(error).toBeInstanceOf(UserError);
    expect(renderInputRefs(error?.message ?? '', 'action')).toBe(
      'The token in input "token" may not create labels in acme/manifests, and the label ml-gitops (input "labels") does not exist there yet: create it once by hand (Issues > Labels > New label), or give the token `issues: write` (in the workflow: `permissions: { issues: write }`).',
    );
    expect(error?.input).toBe('labels');
    expect(error?.outputs).toMatchObject({ 'pull-request-number': 1, 'pull-request-url': 'https://github.com/acme/manifests/pull/1', operation: 'created', branch: BRANCH });
    errorsSeen.push(error?.message ?? '');
    expect(f.standIn.pulls(REPO)).toHaveLength(1);
    // Labels created by hand once: the next run, same token, completes the PR.
    f.standIn.addLabel(REPO, 'ml-gitops', '0e8a16');
    f.standIn.addLabel(REPO, 'promotion');
    const rerun = await openPromotionPullRequest(f.client(TOKENS.noLabelCreation).gh, promotion({ labels: ['promotion'], reviewers: ['alice'] }).request);
    expect(rerun).toMatchObject({ operation: 'updated', changes: ['added 2 labels ml-gitops, promotion', 'requested alice'] });
    expect(f.standIn.pulls(REPO)[0]).toMatchObject({ labels: ['ml-gitops', 'promotion'], requestedReviewers: ['alice'] });
  });

  it('names the base input when the base branch is missing, and refuses head == base', async () => {
    const f = await fixture();
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ base: 'release' }).request))).toBe(
      'The base branch release does not exist in acme/manifests: check input "base", or create that branch first.',
    );
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ branch: 'main' }).request))).toBe(
      'The head branch and the base branch are both main: a pull request needs two branches; set input "branch" to another branch than input "base".',
    );
    expect(f.standIn.requests.filter((r) => r.write)).toEqual([]);
  });

  it('names the protected branch', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    f.standIn.settings(REPO, { protectedBranches: [BRANCH] });
    const text = await failure(openPromotionPullRequest(f.client().gh, promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request));
    expect(text).toMatch(/^GitHub refused to update branch ml-gitops\/promote\/churn\/prod: branch ml-gitops\/promote\/churn\/prod of acme\/manifests is protected against direct writes/);
    expect([...(await f.store.branches()).keys()].sort()).toEqual(['main', BRANCH]);
  });

  it('names the update line whose file is missing at the base tip, and refuses globs', async () => {
    const f = await fixture();
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ lines: ['envs/dev/values.yaml:model.version=7'] }).request))).toBe(
      'updates line 1 ("envs/dev/values.yaml:model.version=7"): the file "envs/dev/values.yaml" does not exist in main of acme/manifests (or is a binary file); check the file name and the base branch.',
    );
    expect(await failure(openPromotionPullRequest(f.client().gh, promotion({ lines: ['envs/*/values.yaml:model.version=7'] }).request))).toContain('is a glob; open-promotion-pr reads the files through the GitHub API');
  });

  it('refuses to replace a commit a person pushed to the promotion branch', async () => {
    const f = await fixture();
    await openPromotionPullRequest(f.client().gh, promotion().request);
    const hand = await f.push(BRANCH, { 'envs/prod/notes.txt': 'do not lose me\n' });
    const text = await failure(openPromotionPullRequest(f.client().gh, promotion({ modelVersion: '8', lines: ['envs/prod/values.yaml:model.version=8'] }).request));
    expect(text).toContain(`ends with commit ${hand.slice(0, 7)}, which ml-gitops did not make, so it will not replace it`);
    expect(await f.tip(BRANCH)).toBe(hand);
  });
});

describe('head-branch mode', () => {
  it('opens the PR for a branch pushed before (bump-manifest), without a commit of its own', async () => {
    const f = await fixture();
    const main = (await f.tip('main')) as string;
    const oid = await f.store.commitChanges({
      parent: main,
      additions: [{ path: 'envs/prod/values.yaml', contents: Buffer.from(VALUES_V7) }],
      deletions: [],
      message: 'Bump churn to 7 in prod\n\nModel-Name: churn\nModel-Version: 7\nPrevious-Version: 6\nEnvironment: prod\n',
      identity: { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' },
    });
    await f.store.compareAndSwap('refs/heads/promote/churn-7', oid, '0000000000000000000000000000000000000000');
    const { gh, events } = f.client();
    const outcome = await openPromotionPullRequest(gh, promotion({ change: { kind: 'head-branch', branch: 'promote/churn-7' } }).request);
    expect(outcome).toMatchObject({ operation: 'created', branch: 'promote/churn-7', previousVersion: '6', pullRequest: { headSha: oid } });
    expect(events.filter((e) => e.operationName === 'CreateCommitOnBranch' || e.route.includes('/git/refs'))).toEqual([]);
    expect(f.standIn.pulls(REPO)[0]?.body).toContain('see the Files changed tab');
    expect(await failure(openPromotionPullRequest(gh, promotion({ change: { kind: 'head-branch', branch: 'promote/churn-9' } }).request))).toBe(
      'The branch promote/churn-9 (input "head-branch") does not exist in acme/manifests: push it first (bump-manifest with create-branch: true does), or fix the name.',
    );
  });
});

const VALUES_V7 = 'image:\n  repository: ghcr.io/acme/churn # the serving image\nmodel:\n  name: churn\n  version: "7" # promoted by ml-gitops\n';
