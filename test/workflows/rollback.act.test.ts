/**
 * The manual rollback, executed: workflows-examples/manual-rollback.yml (workflow_dispatch) calls the reusable
 * .github/workflows/rollback.yml@v1, which checks out the manifest repository (a real bare git remote) and runs the
 * rollback action from dist/ against the file registry, all through nektos/act in host mode. In pull-request mode the
 * rollback PR is opened through the GitHub stand-in serving the same remote.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../src/commands/bump-manifest/index.ts';
import { registerModel } from '../../src/commands/register-model/index.ts';
import { createFileRegistry } from '../../src/lib/registry/file.ts';
import { createActSandbox, createCallerRepository, publishRepository, runAct, type ActSandbox } from '../support/act.ts';
import { startGitHubStandIn } from '../support/github-stand-in/index.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, readTree, removeTempDirs, showFile, tempDir, type RemoteRepository } from '../support/git-repos.ts';
import { freePort } from '../support/ports.ts';
import { repoRoot } from '../support/python.ts';
import { runCommand } from '../support/run-command.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/bump-manifest/repo');
const VALUES = 'envs/production/values.yaml';
const FAKE_TOKEN = 'ghs_fake_manifests_token_for_act_0123456789';
const ROLLBACK_BRANCH = 'ml-gitops/rollback/churn/production';

const version = (values: string): string | undefined => /version: (\S+)/.exec(values)?.[1];

afterAll(removeTempDirs);

/**
 * The manifest repository `repository` published in the sandbox, with versions 1, 2 and 3 registered in its own file
 * registry and promoted to production by the real commands.
 */
async function seedManifests(sandbox: ActSandbox, repository: string): Promise<{ manifests: RemoteRepository; registryDir: string }> {
  const remote = await createRemote(await readTree(FIXTURE));
  const manifests = await publishRepository(sandbox, repository, remote);
  const clone = await cloneRemote(manifests, `promoter-${repository.replace('/', '--')}`);
  const registryDir = path.join(sandbox.dir, `registry-${repository.replace('/', '--')}`);
  const env = isolatedGitEnv(remote.home);
  for (const registered of [1, 2, 3]) {
    await runCommand(registerModel, { 'model-name': 'churn', source: `s3://models/churn/${registered}`, 'registry-uri': registryDir }, { env, workspace: clone });
    await runCommand(
      bumpManifest,
      { updates: `${VALUES}:model.version=${registered}`, 'model-name': 'churn', 'model-version': String(registered), environment: 'production', 'registry-uri': registryDir },
      { env, workspace: clone },
    );
  }
  return { manifests, registryDir };
}

describe('manual-rollback.yml through act', { timeout: 300_000 }, () => {
  let sandbox: ActSandbox;
  let caller: string;
  beforeAll(async () => {
    sandbox = await createActSandbox(await tempDir('ml-gitops-act-'));
    // The caller: a repository acme/churn-service holding the example workflow.
    caller = await createCallerRepository(sandbox, 'acme/churn-service', { examples: ['manual-rollback.yml'] });
  }, 600_000);

  it('rolls production back from 3 to 2: git, registry alias and rolled-back tag', async () => {
    // The manifest repository acme/churn-manifests, with versions 1, 2 and 3 promoted by the real commands.
    const { manifests: moved, registryDir } = await seedManifests(sandbox, 'acme/churn-manifests');
    const bare = moved.bare;

    const started = Date.now();
    const result = await runAct({
      ...sandbox.run,
      event: 'workflow_dispatch',
      workflow: '.github/workflows/manual-rollback.yml',
      cwd: caller,
      inputs: { 'model-name': 'churn', environment: 'production', reason: 'accuracy fell to 0.62 in production' },
      vars: { MANIFESTS_REPOSITORY: 'acme/churn-manifests', MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href },
      secrets: { MANIFESTS_TOKEN: FAKE_TOKEN },
    });
    const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-4000)}`;
    expect(result.code, context).toBe(0);
    expect(Object.values(result.jobs), context).toEqual(['success']);
    const outputs = Object.values(result.outputs).reduce((all, job) => ({ ...all, ...job }), {});
    expect(outputs).toMatchObject({ 'from-version': '3', 'to-version': '2', operation: 'rolled-back', 'alias-moved': 'true' });
    // The action ran on Node 24 (act uses the first node on PATH, whatever the action asks for).
    expect(result.log).toMatch(/with node v24\./);
    expect(result.summaries.join('\n')).toContain('`3` → `2`');
    expect(result.log).not.toContain(FAKE_TOKEN);

    expect((await showFile(moved, 'main', VALUES)).match(/version: (\S+)/)?.[1]).toBe('2');
    expect(await git(bare, ['log', '-1', '--format=%s', 'main'])).toBe('Roll back churn from 3 to 2 in production');
    const registry = createFileRegistry({ directory: registryDir });
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('2');
    expect((await registry.getVersion('churn', '3'))?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': 'accuracy fell to 0.62 in production' });
  });

  it('mode pull-request: opens the rollback PR from 3 to 2 and tags 3 at once; main, the alias and Argo CD wait for the merge, after which the same dispatch finishes', async () => {
    const repository = 'acme/churn-review-manifests';
    const { manifests, registryDir } = await seedManifests(sandbox, repository);
    // Version 3 is the champion the rollback PR is about to replace: the alias must stay on it until the merge.
    await runCommand(registerModel, { 'model-name': 'churn', version: '3', alias: 'champion', 'registry-uri': registryDir });
    const mainBefore = await git(manifests.bare, ['rev-parse', 'main']);
    // An Argo CD server is configured but nothing listens there: the wait step must not run for a rollback PR.
    const argocdServer = `http://127.0.0.1:${await freePort()}`;
    // MANIFESTS_TOKEN opens the PR, with exactly the rights the rollback action documents; without `issues: write` it
    // may not create the PR's label, so that was created once by hand.
    const standIn = await startGitHubStandIn({
      repos: { [repository]: manifests.bare },
      tokens: [{ token: FAKE_TOKEN, permissions: { contents: 'write', 'pull-requests': 'write' } }],
    });
    standIn.addLabel(repository, 'ml-gitops');
    try {
      const reason = 'accuracy fell to 0.62 in production';
      const started = Date.now();
      const result = await runAct({
        ...sandbox.run,
        env: { ...sandbox.run.env, GITHUB_API_URL: standIn.url, GITHUB_GRAPHQL_URL: standIn.graphqlUrl },
        event: 'workflow_dispatch',
        workflow: '.github/workflows/manual-rollback.yml',
        cwd: caller,
        inputs: { 'model-name': 'churn', environment: 'production', reason, mode: 'pull-request' },
        vars: { MANIFESTS_REPOSITORY: repository, MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href, ARGOCD_SERVER: argocdServer },
        secrets: { MANIFESTS_TOKEN: FAKE_TOKEN },
      });
      const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-4000)}`;
      expect(result.code, context).toBe(0);
      expect(Object.values(result.jobs), context).toEqual(['success']);
      const outputs = Object.values(result.outputs).reduce((all, job) => ({ ...all, ...job }), {});
      expect(outputs, context).toMatchObject({ 'from-version': '3', 'to-version': '2', operation: 'pull-request', 'alias-moved': 'false', 'commit-sha': '' });
      expect(outputs['pull-request-url']).toMatch(new RegExp(`/${repository}/pull/\\d+$`));
      expect(result.log).toMatch(/with node v24\./);
      expect(result.log).not.toContain(FAKE_TOKEN);

      // The PR holds the rollback edit, with the ledger trailers the run after the merge finds.
      const pulls = standIn.pulls(repository);
      expect(pulls).toHaveLength(1);
      expect(pulls[0]).toMatchObject({ state: 'open', head: ROLLBACK_BRANCH, base: 'main' });
      expect(outputs['pull-request-url']).toMatch(new RegExp(`/pull/${pulls[0]?.number}$`));
      expect(version(await showFile(manifests, ROLLBACK_BRANCH, VALUES))).toBe('2');
      const trailers = await git(manifests.bare, ['log', '-1', '--format=%(trailers:key=Rollback-Of,key=Reason,key=Model-Version)', ROLLBACK_BRANCH]);
      expect(trailers).toContain('Rollback-Of: 3');
      expect(trailers).toContain(`Reason: ${reason}`);
      // Nothing deployed yet: main still runs 3.
      expect(await git(manifests.bare, ['rev-parse', 'main'])).toBe(mainBefore);
      expect(version(await showFile(manifests, 'main', VALUES))).toBe('3');

      // The bad version is tagged at once (no promotion brings it back meanwhile); the alias waits for the merge.
      const registry = createFileRegistry({ directory: registryDir });
      expect((await registry.getVersion('churn', '3'))?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': reason });
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe('3');

      // After the review: the PR is merged, and the same dispatch again finishes the rollback (the alias moves back).
      const merged = await fetch(`${standIn.url}/repos/${repository}/pulls/${pulls[0]?.number}/merge`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${FAKE_TOKEN}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
        body: JSON.stringify({ merge_method: 'merge' }),
      });
      expect(merged.status, await merged.clone().text()).toBe(200);
      const finished = await runAct({
        ...sandbox.run,
        env: { ...sandbox.run.env, GITHUB_API_URL: standIn.url, GITHUB_GRAPHQL_URL: standIn.graphqlUrl },
        event: 'workflow_dispatch',
        workflow: '.github/workflows/manual-rollback.yml',
        cwd: caller,
        inputs: { 'model-name': 'churn', environment: 'production', reason, mode: 'pull-request' },
        vars: { MANIFESTS_REPOSITORY: repository, MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href },
        secrets: { MANIFESTS_TOKEN: FAKE_TOKEN },
      });
      const finishedContext = `act exited ${finished.code}:\n${finished.log.slice(-4000)}`;
      expect(finished.code, finishedContext).toBe(0);
      const after = Object.values(finished.outputs).reduce((all, job) => ({ ...all, ...job }), {});
      expect(after, finishedContext).toMatchObject({ 'from-version': '3', 'to-version': '2', operation: 'rolled-back', 'alias-moved': 'true', 'pull-request-url': '' });
      expect(version(await showFile(manifests, 'main', VALUES))).toBe('2');
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe('2');
      expect(standIn.pulls(repository)).toHaveLength(1);
      expect(standIn.violations).toEqual([]);
    } finally {
      await standIn.stop();
    }
  });
});
