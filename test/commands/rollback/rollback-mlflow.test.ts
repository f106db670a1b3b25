/**
 * rollback against the real MLflow server the test run starts (see test/support/global-setup.ts): after promotions
 * through register-model and bump-manifest, the alias moves back, the bad version carries the rolled-back tags, and
 * the promoting actions refuse that version again unless `allow-rolled-back`.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bumpManifest } from '../../../src/commands/bump-manifest/index.ts';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { rollback } from '../../../src/commands/rollback/index.ts';
import { cloneRemote, createRemote, isolatedGitEnv, readTree, removeTempDirs, showFile } from '../../support/git-repos.ts';
import { mlflowApi } from '../../support/mlflow-server.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

afterAll(removeTempDirs);

const url = inject('mlflowUrl');
const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/bump-manifest/repo');
const VALUES = 'envs/production/values.yaml';
const RUN = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/churn', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' };

interface ApiVersion {
  version: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

const getVersion = async (name: string, version: string): Promise<ApiVersion> =>
  (await mlflowApi<{ model_version: ApiVersion }>(url, 'GET', 'model-versions/get', { name, version })).model_version;
const aliasTarget = async (name: string, alias: string): Promise<string> =>
  (await mlflowApi<{ model_version: ApiVersion }>(url, 'GET', 'registered-models/alias', { name, alias })).model_version.version;
const tagsOf = (version: ApiVersion) => Object.fromEntries((version.tags ?? []).map((tag) => [tag.key, tag.value]));

describe('rollback against a real MLflow server', () => {
  it('moves the alias back, tags the bad version, and the promoting actions refuse it again unless allowed', { timeout: 120_000 }, async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    const remote = await createRemote(await readTree(FIXTURE));
    const clone = await cloneRemote(remote, 'clone');
    const env = { ...isolatedGitEnv(remote.home), MLFLOW_TRACKING_URI: url };

    // Three promotions: each version registered in MLflow with alias champion, then written to production.
    for (const version of [1, 2, 3]) {
      const registered = await runCommand(registerModel, { 'model-name': name, source: `s3://models/${name}/${version}`, alias: 'champion' }, { env: { ...env, GITHUB_SHA: `${version}`.repeat(40) }, workspace: clone });
      expect(registered.outputs.version).toBe(String(version));
      await runCommand(bumpManifest, { updates: `${VALUES}:model.version=${version}`, 'model-name': name, 'model-version': String(version), environment: 'production' }, { env, workspace: clone });
    }
    expect(await aliasTarget(name, 'champion')).toBe('3');

    const { outputs, ctx } = await runCommand(
      rollback,
      { 'model-name': name, environment: 'production', alias: 'champion', reason: 'accuracy fell to 0.62 in production' },
      { env: { ...env, ...RUN }, workspace: clone },
    );
    expect(outputs).toMatchObject({ 'from-version': '3', 'to-version': '2', 'alias-moved': true, operation: 'rolled-back' });
    expect((await showFile(remote, 'main', VALUES)).match(/version: (\S+)/)?.[1]).toBe('2');
    expect(await aliasTarget(name, 'champion')).toBe('2');
    expect((await getVersion(name, '3')).aliases ?? []).toEqual([]);
    const tags = tagsOf(await getVersion(name, '3'));
    expect(tags).toMatchObject({
      'ml-gitops.rolled-back': 'true',
      'ml-gitops.rolled-back-reason': 'accuracy fell to 0.62 in production',
      'ml-gitops.rolled-back-environment': 'production',
      'ml-gitops.rolled-back-run-url': 'https://github.com/acme/churn/actions/runs/4242',
    });
    expect(Date.parse(tags['ml-gitops.rolled-back-at'] ?? '')).toBeGreaterThan(Date.now() - 120_000);
    expect(tagsOf(await getVersion(name, '2'))['ml-gitops.rolled-back']).toBeUndefined();
    expect(ctx.summaries.join('')).toContain(url);

    // The same run again (a job rerun): nothing left to do, no second tag write, the alias stays.
    const again = await runCommand(rollback, { 'model-name': name, environment: 'production', alias: 'champion', reason: 'accuracy fell to 0.62 in production' }, { env: { ...env, ...RUN, GITHUB_RUN_ATTEMPT: '2' }, workspace: clone });
    expect(again.outputs).toMatchObject({ operation: 'already-rolled-back', 'alias-moved': true });
    expect(tagsOf(await getVersion(name, '3'))['ml-gitops.rolled-back-at']).toBe(tags['ml-gitops.rolled-back-at']);

    // register-model will not point the alias at the rolled-back version, nor register its source again...
    const refused = await commandError(registerModel, { 'model-name': name, version: '3', alias: 'champion' }, { env, workspace: clone });
    expect(refused.message).toMatch(
      new RegExp(`^Version 3 of model "${name}" is tagged ml-gitops\\.rolled-back=true \\(reason: accuracy fell to 0\\.62 in production; rolled back in production at [^)]+\\), so register-model will not point alias "champion" at it: point the alias at another version, or set input "allow-rolled-back" to true\\.$`),
    );
    expect(await aliasTarget(name, 'champion')).toBe('2');
    // ...and bump-manifest, given the registry, will not write it to a manifest.
    const bump = await commandError(bumpManifest, { updates: `${VALUES}:model.version=3`, 'model-name': name, 'model-version': '3', environment: 'production', 'registry-uri': url }, { env, workspace: clone });
    expect(bump.message).toMatch(/is tagged ml-gitops\.rolled-back=true .*so bump-manifest will not promote it again/);

    // With the override, once the version is fixed, it can be champion again.
    const allowed = await runCommand(registerModel, { 'model-name': name, version: '3', alias: 'champion', 'allow-rolled-back': 'true' }, { env, workspace: clone });
    expect(allowed.outputs.version).toBe('3');
    expect(await aliasTarget(name, 'champion')).toBe('3');
  });
});
