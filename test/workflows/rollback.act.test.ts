/**
 * The manual rollback, executed: workflows-examples/manual-rollback.yml (workflow_dispatch) calls the reusable
 * .github/workflows/rollback.yml@v1, which checks out the manifest repository (a real bare git remote) and runs the
 * rollback action from dist/ against the file registry, all through nektos/act in host mode.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../src/commands/bump-manifest/index.ts';
import { registerModel } from '../../src/commands/register-model/index.ts';
import { createFileRegistry } from '../../src/lib/registry/file.ts';
import { createActSandbox, createCallerRepository, publishRepository, runAct, type ActSandbox } from '../support/act.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, readTree, removeTempDirs, showFile, tempDir } from '../support/git-repos.ts';
import { repoRoot } from '../support/python.ts';
import { runCommand } from '../support/run-command.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/bump-manifest/repo');
const VALUES = 'envs/production/values.yaml';
const FAKE_TOKEN = 'ghs_fake_manifests_token_for_act_0123456789';

afterAll(removeTempDirs);

describe('manual-rollback.yml through act', { timeout: 300_000 }, () => {
  let sandbox: ActSandbox;
  beforeAll(async () => {
    sandbox = await createActSandbox(await tempDir('ml-gitops-act-'));
  }, 600_000);

  it('rolls production back from 3 to 2: git, registry alias and rolled-back tag', async () => {
    // The manifest repository acme/churn-manifests, with versions 1, 2 and 3 promoted by the real commands.
    const remote = await createRemote(await readTree(FIXTURE));
    const moved = await publishRepository(sandbox, 'acme/churn-manifests', remote);
    const bare = moved.bare;
    const clone = await cloneRemote(moved, 'promoter');
    const registryDir = path.join(sandbox.dir, 'registry');
    const env = isolatedGitEnv(remote.home);
    for (const version of [1, 2, 3]) {
      await runCommand(registerModel, { 'model-name': 'churn', source: `s3://models/churn/${version}`, 'registry-uri': registryDir }, { env, workspace: clone });
      await runCommand(
        bumpManifest,
        { updates: `${VALUES}:model.version=${version}`, 'model-name': 'churn', 'model-version': String(version), environment: 'production', 'registry-uri': registryDir },
        { env, workspace: clone },
      );
    }

    // The caller: a repository acme/churn-service holding the example workflow.
    const caller = await createCallerRepository(sandbox, 'acme/churn-service', { examples: ['manual-rollback.yml'] });

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
});
