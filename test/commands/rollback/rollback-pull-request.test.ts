/**
 * rollback with `mode: pull-request`, against the strict GitHub stand-in serving the same bare repository the
 * promotions were pushed to, and the file registry: the rollback PR (edit, trailers, body), a rerun that writes
 * nothing, the registry steps finished by a run after the merge, the bad version refused by every promoting action
 * meanwhile, the missing-token sentence, and no token in any log, output, summary or request URL.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../../src/commands/bump-manifest/index.ts';
import { openPromotionPr } from '../../../src/commands/open-promotion-pr/index.ts';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { rollback } from '../../../src/commands/rollback/index.ts';
import { GitClient } from '../../../src/lib/git.ts';
import { createGitHubClient } from '../../../src/lib/github/index.ts';
import { readLedger } from '../../../src/lib/ledger.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, readTree, removeTempDirs, showFile, type RemoteRepository } from '../../support/git-repos.ts';
import { startGitHubStandIn, type GitHubStandIn } from '../../support/github-stand-in/index.ts';
import { commandError, runCommand } from '../../support/run-command.ts';
import { TOKEN_CONFIGS, TOKENS } from '../../lib/promotion-pr/helpers.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/bump-manifest/repo');
const VALUES = 'envs/production/values.yaml';
const TAG = 'envs/production/kustomization.yaml';
const REPO = 'acme/manifests';
const PR_BRANCH = 'ml-gitops/rollback/churn/production';
const REASON = 'accuracy fell to 0.62';

interface Sandbox {
  remote: RemoteRepository;
  clone: string;
  gitEnv: Record<string, string>;
  registryDir: string;
  standIn: GitHubStandIn;
}

const started: GitHubStandIn[] = [];
const seen: string[] = [];

afterEach(async () => {
  for (const standIn of started.splice(0)) {
    expect(standIn.violations).toEqual([]);
    const everything = [...standIn.requests.map((request) => request.url), ...seen].join('\n');
    for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
    await standIn.stop();
  }
  seen.length = 0;
});
afterAll(removeTempDirs);

/** Versions 1..n promoted to production with bump-manifest (each registered first), then the stand-in over that remote. */
async function sandbox(versions: number[]): Promise<Sandbox> {
  const remote = await createRemote(await readTree(FIXTURE));
  const clone = await cloneRemote(remote, 'clone');
  const gitEnv = isolatedGitEnv(remote.home);
  const registryDir = path.join(remote.base, 'registry');
  for (const version of versions) {
    await runCommand(registerModel, { 'model-name': 'churn', source: `s3://models/churn/${version}`, 'registry-uri': registryDir, alias: 'champion' }, { env: { ...gitEnv, GITHUB_SHA: `sha${version}` }, workspace: clone });
    await runCommand(
      bumpManifest,
      {
        updates: `${VALUES}:model.version=${version}\n${TAG}:images[name=ghcr.io/acme/churn-serving].newTag=v${version}`,
        'model-name': 'churn',
        'model-version': String(version),
        environment: 'production',
        'registry-uri': registryDir,
      },
      { env: gitEnv, workspace: clone },
    );
  }
  const standIn = await startGitHubStandIn({ repos: { [REPO]: { gitDir: remote.bare } }, tokens: TOKEN_CONFIGS });
  started.push(standIn);
  return { remote, clone, gitEnv, registryDir, standIn };
}

function githubEnv(box: Sandbox, runId: string): Record<string, string> {
  return { ...box.gitEnv, GITHUB_TOKEN: TOKENS.app, GITHUB_API_URL: box.standIn.url, GITHUB_REPOSITORY: REPO, GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: runId };
}

const INPUTS = { 'model-name': 'churn', environment: 'production', alias: 'champion', reason: REASON, mode: 'pull-request' };

async function roll(box: Sandbox, runId = '41', inputs: Record<string, string> = {}) {
  const result = await runCommand(rollback, { ...INPUTS, 'registry-uri': box.registryDir, ...inputs }, { env: githubEnv(box, runId), workspace: box.clone });
  seen.push(...result.ctx.infos, ...result.ctx.warnings, ...result.ctx.summaries, JSON.stringify(result.outputs));
  return result;
}

const valuesAt = async (box: Sandbox, ref: string) => (await showFile(box.remote, ref, VALUES)).match(/version: (\S+)/)?.[1];
const tagAt = async (box: Sandbox, ref: string) => (await showFile(box.remote, ref, TAG)).match(/newTag: (\S+)/)?.[1];
const registry = (box: Sandbox) => createFileRegistry({ directory: box.registryDir });

describe('rollback mode: pull-request', () => {
  it('opens a rollback PR with the ledger edit and trailers, tags the bad version at once, and leaves the alias for the merge', async () => {
    const box = await sandbox([1, 2, 3]);
    const mainBefore = await git(box.remote.bare, ['rev-parse', 'main']);
    // Argo CD inputs: nothing to wait for until the merge, so the server (which does not answer) is never contacted.
    const { outputs, ctx } = await roll(box, '41', { server: 'http://127.0.0.1:9', applications: 'churn-production', 'auth-token': 'argocd-token-unused' });
    expect(outputs).toEqual({
      'from-version': '3',
      'to-version': '2',
      'commit-sha': '',
      'alias-moved': false,
      'argocd-result': 'skipped',
      operation: 'pull-request',
      'pull-request-number': 1,
      'pull-request-url': 'https://github.com/acme/manifests/pull/1',
    });

    // git: main untouched; the PR branch holds one commit on main with the target's values at the recorded places.
    expect(await git(box.remote.bare, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(await valuesAt(box, PR_BRANCH)).toBe('2');
    expect(await tagAt(box, PR_BRANCH)).toBe('v2');
    expect(await git(box.remote.bare, ['rev-parse', `${PR_BRANCH}~1`])).toBe(mainBefore);
    const [entry] = await readLedger(new GitClient({ cwd: box.remote.bare, env: box.gitEnv }), { ref: PR_BRANCH });
    expect(entry).toMatchObject({
      kind: 'rollback',
      modelName: 'churn',
      modelVersion: '2',
      previousVersion: '3',
      rollbackOf: '3',
      reason: REASON,
      environment: 'production',
      workflowRun: 'https://github.com/acme/manifests/actions/runs/41',
    });
    expect(entry?.updates).toEqual([
      { file: VALUES, selector: 'model.version', value: '2' },
      { file: TAG, selector: 'images[name=ghcr.io/acme/churn-serving].newTag', value: 'v2' },
    ]);
    expect(entry?.subject).toBe('Roll back churn from 3 to 2 in production');

    const [pull] = box.standIn.pulls(REPO);
    expect(pull).toMatchObject({ number: 1, title: 'Roll back churn from 3 to 2 in production', state: 'open' });
    expect(pull?.body).toContain('## Roll back `churn` in `production`');
    expect(pull?.body).toContain('| **Version** | `3` → `2` |');
    expect(pull?.body).toContain(`| **Reason** | ${REASON} |`);
    expect(pull?.body).not.toContain('evaluation report');

    // registry: the bad version tagged now, so nothing re-promotes it while the PR waits; the alias stays for the merge.
    expect((await registry(box).getVersion('churn', '3'))?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': REASON });
    expect((await registry(box).getAlias('churn', 'champion'))?.version).toBe('3');
    const summary = ctx.summaries.join('\n');
    expect(summary).toContain('in pull request [#1](https://github.com/acme/manifests/pull/1) (`ml-gitops/rollback/churn/production` → `main`): opened');
    expect(summary).toContain('`champion` not moved yet: waits for the merge of #1, then run rollback again');
    expect(summary).toContain('After merging, run rollback again with the same inputs: it moves the alias and waits for Argo CD.');
    expect(summary).toContain('| Argo CD | skipped; nothing to wait for until #1 is merged |');
    expect(ctx.infos.join('\n')).toContain('Argo CD is not waited for: it has nothing new to run until pull request #1 is merged');
  });

  it('a rerun writes nothing; after the merge a later run moves the alias, and the next one reports already-rolled-back', async () => {
    const box = await sandbox([1, 2, 3]);
    await roll(box);
    const tags = (await registry(box).getVersion('churn', '3'))?.tags;

    const before = box.standIn.requests.length;
    const rerun = await roll(box, '42');
    expect(rerun.outputs).toMatchObject({ operation: 'pull-request', 'pull-request-number': 1, 'alias-moved': false });
    expect(box.standIn.counts(before)).toMatchObject({ writes: 0 });
    expect(rerun.ctx.summaries.join('\n')).toContain('already up to date: nothing written');
    expect((await registry(box).getVersion('churn', '3'))?.tags).toEqual(tags);
    expect(box.standIn.pulls(REPO)).toHaveLength(1);

    // A reviewer merges the rollback PR (a merge commit, as GitHub's default).
    const gh = createGitHubClient({ token: TOKENS.pat, apiUrl: box.standIn.url, repository: { owner: 'acme', repo: 'manifests' }, inputs: { token: 'token' } });
    const head = await git(box.remote.bare, ['rev-parse', PR_BRANCH]);
    expect(await gh.merge({ number: 1, method: 'merge', sha: head })).toMatchObject({ kind: 'merged' });
    expect(await valuesAt(box, 'main')).toBe('2');

    // Run again with the same inputs (another workflow run): the rollback is in the ledger now; the registry step finishes.
    const afterMerge = box.standIn.requests.length;
    const finish = await roll(box, '43');
    expect(finish.outputs).toMatchObject({ operation: 'rolled-back', 'from-version': '3', 'to-version': '2', 'alias-moved': true, 'commit-sha': head, 'pull-request-number': '' });
    expect((await registry(box).getAlias('churn', 'champion'))?.version).toBe('2');
    expect(box.standIn.requests.length).toBe(afterMerge);

    const mainAfterMerge = await git(box.remote.bare, ['rev-parse', 'main']);
    const again = await roll(box, '44');
    expect(again.outputs).toMatchObject({ operation: 'already-rolled-back', 'alias-moved': true, 'to-version': '2' });
    expect(await git(box.remote.bare, ['rev-parse', 'main'])).toBe(mainAfterMerge);
    expect(box.standIn.requests.length).toBe(afterMerge);
    expect(box.standIn.pulls(REPO)).toHaveLength(1);
  });

  it('the bad version cannot be promoted again while the PR waits: bump-manifest, register-model and open-promotion-pr refuse it', async () => {
    const box = await sandbox([1, 2]);
    await roll(box);
    const env = githubEnv(box, '50');
    const tagged = /tagged ml-gitops\.rolled-back=true \(reason: accuracy fell to 0\.62; rolled back in production at [^)]+\), so (bump-manifest|open-promotion-pr) will not promote it again/;
    const bump = await commandError(
      bumpManifest,
      { updates: `${VALUES}:model.version=2`, 'model-name': 'churn', 'model-version': '2', environment: 'production', 'registry-uri': box.registryDir },
      { env, workspace: box.clone },
    );
    expect(bump.message).toMatch(tagged);
    const alias = await commandError(registerModel, { 'model-name': 'churn', source: 's3://models/churn/2', alias: 'champion', 'registry-uri': box.registryDir }, { env: { ...env, GITHUB_SHA: 'sha2' }, workspace: box.clone });
    expect(alias.message).toMatch(/tagged ml-gitops\.rolled-back=true/);
    const requests = box.standIn.requests.length;
    const pr = await commandError(
      openPromotionPr,
      { 'model-name': 'churn', 'model-version': '2', environment: 'production', base: 'main', updates: `${VALUES}:model.version=2`, 'registry-uri': box.registryDir },
      { env, workspace: box.clone },
    );
    expect(pr.message).toMatch(tagged);
    expect(box.standIn.requests.length).toBe(requests);
    seen.push(bump.message, alias.message, pr.message);
  });

  it('reads a merged rollback PR as the current ledger entry even when its commit and the base commit share a timestamp', async () => {
    const remote = await createRemote({ 'values.yaml': 'version: 3\n' });
    const work = await cloneRemote(remote, 'ledger');
    const at = { GIT_COMMITTER_DATE: '2026-12-01T10:00:00Z', GIT_AUTHOR_DATE: '2026-12-01T10:00:00Z' };
    const env = { ...isolatedGitEnv(remote.home), GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.test', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.test', ...at };
    const commit = (message: string) => git(work, ['commit', '--quiet', '--allow-empty', '--message', message], env);
    await commit('Bump churn to 3\n\nModel-Name: churn\nModel-Version: 3\nEnvironment: production\n');
    await git(work, ['checkout', '--quiet', '-b', PR_BRANCH], env);
    await commit('Roll back churn from 3 to 2\n\nModel-Name: churn\nModel-Version: 2\nEnvironment: production\nRollback-Of: 3\n');
    await git(work, ['checkout', '--quiet', 'main'], env);
    await git(work, ['merge', '--quiet', '--no-ff', '--message', 'Merge pull request #1', PR_BRANCH], env);
    const entries = await readLedger(new GitClient({ cwd: work, env }), { modelName: 'churn', environment: 'production' });
    expect(entries.map((entry) => [entry.kind, entry.modelVersion])).toEqual([
      ['rollback', '2'],
      ['promotion', '3'],
    ]);
  });

  it('refuses pull-request mode without a token, and a rollback branch git would refuse, before anything is written', async () => {
    const box = await sandbox([1, 2]);
    const mainBefore = await git(box.remote.bare, ['rev-parse', 'main']);
    const env = { ...githubEnv(box, '60'), GITHUB_TOKEN: '' };
    const error = await commandError(rollback, { ...INPUTS, 'registry-uri': box.registryDir }, { env, workspace: box.clone });
    expect(error.message).toBe(
      'With input "mode" set to "pull-request", rollback opens its pull request through the GitHub API, which needs a token with contents: write and pull-requests: write: set input "token" (or GITHUB_TOKEN / GH_TOKEN in the environment), or set input "mode" to "push".',
    );
    const cli = await commandError(rollback, { ...INPUTS, 'registry-uri': box.registryDir }, { env, workspace: box.clone, style: 'cli' });
    expect(cli.message).toContain('set --token (or GITHUB_TOKEN / GH_TOKEN in the environment), or set --mode to "push".');
    const branch = await commandError(rollback, { ...INPUTS, 'registry-uri': box.registryDir, 'pull-request-branch': 'roll back' }, { env: githubEnv(box, '61'), workspace: box.clone });
    expect(branch.message).toBe('Input "pull-request-branch" contains a character git refuses in a branch name (space, ~ ^ : ? * [ \\ or a control character) (got "roll back").');
    seen.push(error.message, cli.message, branch.message);
    // A dry run needs no token: it reads the ledger and shows the diff.
    const dry = await runCommand(rollback, { ...INPUTS, 'registry-uri': box.registryDir, 'dry-run': 'true' }, { env, workspace: box.clone });
    expect(dry.outputs).toMatchObject({ operation: 'dry-run', 'from-version': '2', 'to-version': '1', 'pull-request-number': '' });
    expect(await git(box.remote.bare, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(box.standIn.requests).toEqual([]);
    expect((await registry(box).getVersion('churn', '2'))?.tags['ml-gitops.rolled-back']).toBeUndefined();
  });

  it('refuses a path that does not exist and a branch the remote lacks, naming the input, before anything is written', async () => {
    const box = await sandbox([1, 2]);
    const mainBefore = await git(box.remote.bare, ['rev-parse', 'main']);
    const refuse = async (inputs: Record<string, string>, style: 'action' | 'cli' = 'action') => {
      const error = await commandError(rollback, { ...INPUTS, 'registry-uri': box.registryDir, ...inputs }, { env: githubEnv(box, '70'), workspace: box.clone, style });
      seen.push(error.message);
      return error.message;
    };
    // Not "the git executable was not found": git cannot start in a directory that is not there.
    expect(await refuse({ path: 'manifests' })).toBe(
      `The directory ${path.join(box.clone, 'manifests')} given by input "path" does not exist; check out the manifest repository there, or point input "path" at the checkout.`,
    );
    // Not a ledger read from the checked-out branch and a push refused at the end, naming an input rollback lacks.
    expect(await refuse({ branch: 'prod' }, 'cli')).toBe('The branch "prod" does not exist on origin, so it has no ledger to roll back; check --branch (and --remote).');
    expect(await refuse({ branch: 'prod', mode: 'push' })).toBe('The branch "prod" does not exist on origin, so it has no ledger to roll back; check input "branch" (and input "remote").');
    expect(await git(box.remote.bare, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(box.standIn.requests).toEqual([]);
  });

  it('tags the bad version even when the pull request step fails, and reports only rollback outputs', async () => {
    const box = await sandbox([1, 2, 3]);
    // A token that may open a PR but not create the ml-gitops label: the library fails after opening the PR.
    const error = await commandError(rollback, { ...INPUTS, 'registry-uri': box.registryDir }, { env: { ...githubEnv(box, '80'), GITHUB_TOKEN: TOKENS.noLabelCreation }, workspace: box.clone });
    seen.push(error.message);
    expect(error.message).toContain('labels');
    expect(error.outputs).toBeUndefined();
    // Nothing can promote version 3 again while the user fixes the token; the alias waits for the merge.
    const bad = await registry(box).getVersion('churn', '3');
    expect(bad?.tags['ml-gitops.rolled-back']).toBe('true');
    expect((await registry(box).getAlias('churn', 'champion'))?.version).toBe('3');
  });
});
