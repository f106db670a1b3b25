import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../../src/commands/bump-manifest/index.ts';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { rollback } from '../../../src/commands/rollback/index.ts';
import { GitClient } from '../../../src/lib/git.ts';
import { promotionHistory, readLedger } from '../../../src/lib/ledger.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, readTree, removeTempDirs, showFile, type RemoteRepository } from '../../support/git-repos.ts';
import { createArgoCdClient } from '../../../src/lib/argocd/index.ts';
import { startArgoCdSimulator, type ArgoCdSimulator } from '../../support/argocd-simulator/index.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

afterAll(removeTempDirs);

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/bump-manifest/repo');
const VALUES = 'envs/production/values.yaml';
const TAG = 'envs/production/kustomization.yaml';

interface Sandbox {
  remote: RemoteRepository;
  clone: string;
  env: Record<string, string>;
  registryDir: string;
}

async function sandbox(): Promise<Sandbox> {
  const remote = await createRemote(await readTree(FIXTURE));
  const clone = await cloneRemote(remote, 'clone');
  return { remote, clone, env: isolatedGitEnv(remote.home), registryDir: path.join(remote.base, 'registry') };
}

/** Registers `version` in the file registry (versions are numbered in order) and promotes it with bump-manifest. */
async function promote(box: Sandbox, version: number, env: Record<string, string> = {}): Promise<string> {
  await runCommand(registerModel, { 'model-name': 'churn', source: `s3://models/churn/${version}`, 'registry-uri': box.registryDir }, { env: { ...box.env, GITHUB_SHA: `sha${version}` }, workspace: box.clone });
  const { outputs } = await runCommand(
    bumpManifest,
    {
      updates: `${VALUES}:model.version=${version}\n${TAG}:images[name=ghcr.io/acme/churn-serving].newTag=v${version}`,
      'model-name': 'churn',
      'model-version': String(version),
      environment: 'production',
      'registry-uri': box.registryDir,
    },
    { env: { ...box.env, ...env }, workspace: box.clone },
  );
  return outputs['commit-sha'] as string;
}

function roll(box: Sandbox, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return runCommand(
    rollback,
    { 'model-name': 'churn', environment: 'production', 'registry-uri': box.registryDir, alias: 'champion', reason: 'accuracy fell to 0.62', ...inputs },
    { env: { ...box.env, ...env }, workspace: box.clone },
  );
}

const valuesAt = async (box: Sandbox) => (await showFile(box.remote, 'main', VALUES)).match(/version: (\S+)/)?.[1];
const tagAt = async (box: Sandbox) => (await showFile(box.remote, 'main', TAG)).match(/newTag: (\S+)/)?.[1];
const commits = async (box: Sandbox) => Number(await git(box.remote.bare, ['rev-list', '--count', 'main']));

describe('rollback', () => {
  it('puts the previous version back in git and the registry, and records why in the ledger', async () => {
    const box = await sandbox();
    for (const version of [1, 2, 3]) await promote(box, version);
    const { outputs, ctx } = await roll(box);
    expect(outputs).toMatchObject({ 'from-version': '3', 'to-version': '2', 'alias-moved': true, operation: 'rolled-back', 'argocd-result': 'skipped' });
    expect(await valuesAt(box)).toBe('2');
    expect(await tagAt(box)).toBe('v2');
    expect(outputs['commit-sha']).toBe(await git(box.remote.bare, ['rev-parse', 'main']));
    expect(await git(box.remote.bare, ['log', '-1', '--format=%s', 'main'])).toBe('Roll back churn from 3 to 2 in production');
    const [entry] = await readLedger(new GitClient({ cwd: box.clone, env: box.env }), { ref: 'origin/main' });
    expect(entry).toMatchObject({ kind: 'rollback', modelVersion: '2', rollbackOf: '3', reason: 'accuracy fell to 0.62', environment: 'production' });

    const registry = createFileRegistry({ directory: box.registryDir });
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('2');
    const bad = await registry.getVersion('churn', '3');
    expect(bad?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': 'accuracy fell to 0.62', 'ml-gitops.rolled-back-environment': 'production' });
    expect(ctx.summaries.join('')).toContain('`3` → `2`');
  });

  it('reports a second identical run as already rolled back, and a second rollback goes further back', async () => {
    const box = await sandbox();
    for (const version of [1, 2, 3]) await promote(box, version);
    await roll(box);
    const before = await commits(box);
    const again = await roll(box);
    expect(again.outputs).toMatchObject({ operation: 'already-rolled-back', 'to-version': '2', 'from-version': '3' });
    expect(await commits(box)).toBe(before);

    const further = await roll(box, { reason: 'version 2 is bad too' });
    expect(further.outputs).toMatchObject({ 'from-version': '2', 'to-version': '1', operation: 'rolled-back' });
    expect(await valuesAt(box)).toBe('1');
    const history = promotionHistory(await readLedger(new GitClient({ cwd: box.clone, env: box.env }), { ref: 'origin/main', modelName: 'churn', environment: 'production' }));
    expect([...history.rolledBack].sort()).toEqual(['2', '3']);
  });

  it('goes to an explicit to-version, and refuses one never promoted there unless forced', async () => {
    const box = await sandbox();
    for (const version of [1, 2, 3]) await promote(box, version);
    const error = await commandError(rollback, { 'model-name': 'churn', environment: 'production', 'to-version': '7', 'registry-uri': box.registryDir }, { env: box.env, workspace: box.clone });
    expect(error.message).toBe(
      'Version 7 was never promoted for model "churn" in environment "production" on branch "main" (the ledger holds 3, 2, 1); pick one of those in input "to-version", or set input "force" to true to write it anyway.',
    );
    const { outputs } = await roll(box, { 'to-version': '1' });
    expect(outputs).toMatchObject({ 'from-version': '3', 'to-version': '1' });
    expect(await tagAt(box)).toBe('v1');
  });

  it('says there is nothing to roll back for an unknown environment or a first promotion', async () => {
    const box = await sandbox();
    await promote(box, 1);
    const none = await commandError(rollback, { 'model-name': 'churn', environment: 'prod' }, { env: box.env, workspace: box.clone });
    expect(none.message).toMatch(/^The ledger has no promotion of model "churn" in environment "prod" on branch "main"/);
    const first = await commandError(rollback, { 'model-name': 'churn', environment: 'production' }, { env: box.env, workspace: box.clone });
    expect(first.message).toMatch(/holds no version of model "churn" .* to go back to before 1/);
    expect(await commits(box)).toBe(2);
  });

  it('a rerun after a failure between the push and the registry finishes without a second commit', async () => {
    const box = await sandbox();
    for (const version of [1, 2]) await promote(box, version);
    // The alias cannot be moved: the registry named here does not hold the versions yet (the fault), after the push.
    const emptyRegistry = path.join(box.remote.base, 'other-registry');
    const failed = await commandError(rollback, { 'model-name': 'churn', environment: 'production', 'registry-uri': emptyRegistry, alias: 'champion', reason: 'r' }, { env: box.env, workspace: box.clone });
    expect(failed.message).toMatch(/^The manifests are rolled back, but .* has no version 1 of model "churn"/);
    const afterFailure = await commits(box);
    expect(await valuesAt(box)).toBe('1');

    const rerun = await roll(box, { reason: 'r' });
    expect(rerun.outputs).toMatchObject({ operation: 'rolled-back', 'alias-moved': true, 'to-version': '1', 'from-version': '2' });
    expect(await commits(box)).toBe(afterFailure);
    expect((await createFileRegistry({ directory: box.registryDir }).getVersion('churn', '2'))?.tags['ml-gitops.rolled-back']).toBe('true');
  });

  it('the rolled-back version cannot be promoted again by bump-manifest or register-model unless allowed', async () => {
    const box = await sandbox();
    for (const version of [1, 2]) await promote(box, version);
    await roll(box);
    const bump = await commandError(
      bumpManifest,
      { updates: `${VALUES}:model.version=2`, 'model-name': 'churn', 'model-version': '2', environment: 'production', 'registry-uri': box.registryDir },
      { env: box.env, workspace: box.clone },
    );
    expect(bump.message).toMatch(
      /^Version 2 of model "churn" is tagged ml-gitops.rolled-back=true \(reason: accuracy fell to 0.62; rolled back in production at .*\), so bump-manifest will not promote it again: promote another version, or set input "allow-rolled-back" to true if it is fixed\.$/,
    );
    const alias = await commandError(
      registerModel,
      { 'model-name': 'churn', source: 's3://models/churn/2', alias: 'champion', 'registry-uri': box.registryDir },
      { env: { ...box.env, GITHUB_SHA: 'sha2' }, workspace: box.clone },
    );
    expect(alias.message).toMatch(/tagged ml-gitops.rolled-back=true/);
    const allowed = await runCommand(
      bumpManifest,
      { updates: `${VALUES}:model.version=2`, 'model-name': 'churn', 'model-version': '2', environment: 'production', 'registry-uri': box.registryDir, 'allow-rolled-back': 'true' },
      { env: box.env, workspace: box.clone },
    );
    expect(allowed.outputs.changed).toBe(true);
  });

  /** Makes the clone's next push race another job: a pre-push hook lets `other` push `commit` first, once. */
  async function raceNextPush(box: Sandbox, commitInOther: (other: string) => Promise<void>): Promise<void> {
    const other = await cloneRemote(box.remote, `other-${Math.random().toString(36).slice(2, 8)}`);
    await commitInOther(other);
    const hook = path.join(box.clone, '.git', 'hooks', 'pre-push');
    const flag = path.join(box.remote.base, 'raced');
    await fs.writeFile(
      hook,
      `#!/bin/sh\n[ -e '${flag}' ] && exit 0\ntouch '${flag}'\ngit -C '${other}' push --quiet origin HEAD:main >/dev/null 2>&1\nexit 0\n`,
      { mode: 0o755 },
    );
  }

  it('re-applies the rollback on a tip that moved during the push', async () => {
    const box = await sandbox();
    for (const version of [1, 2, 3]) await promote(box, version);
    await raceNextPush(box, async (other) => git(other, ['commit', '--quiet', '--allow-empty', '-m', 'Unrelated']).then(() => undefined));
    const { outputs } = await roll(box);
    expect(outputs['to-version']).toBe('2');
    expect(await git(box.remote.bare, ['log', '-2', '--format=%s', 'main'])).toBe('Roll back churn from 3 to 2 in production\nUnrelated');
    expect(await valuesAt(box)).toBe('2');
  });

  it('refuses when a concurrent job promotes the bad version again during the push', async () => {
    const box = await sandbox();
    for (const version of [1, 2, 3]) await promote(box, version);
    await raceNextPush(box, async (other) => {
      await runCommand(bumpManifest, { updates: `${TAG}:images[name=ghcr.io/acme/churn-serving].newTag=v3b`, 'model-name': 'churn', 'model-version': '3', environment: 'production', push: 'false' }, { env: box.env, workspace: other });
    });
    const error = await commandError(rollback, { 'model-name': 'churn', environment: 'production', reason: 'bad' }, { env: box.env, workspace: box.clone });
    expect(error.message).toMatch(/^While rolling back, [0-9a-f]{12} promoted version 3 of "churn" to production again; resolve that promotion first/);
    expect(await tagAt(box)).toBe('v3b');
  });

  it('end to end with Argo CD: a Degraded version is rolled back and the cluster runs the rollback commit healthy', { timeout: 30_000 }, async () => {
    const box = await sandbox();
    await promote(box, 1);
    const sim = await startArgoCdSimulator({
      refreshDelayMs: 5,
      operationStartMs: 5,
      syncDurationMs: 20,
      progressingMs: 20,
      pollIntervalMs: 600_000,
      apps: [{ name: 'churn-production', repo: box.remote.bare, path: 'envs/production' }],
    });
    try {
      sim.markBad(2, 'Back-off restarting failed container model-server');
      const bad = await promote(box, 2);
      await sim.refresh('churn-production');
      await sim.waitFor('churn-production', (app) => (app.status as { health?: { status?: string } }).health?.status === 'Degraded' && (app.status as { sync?: { revision?: string } }).sync?.revision === bad);
      const { outputs, ctx } = await roll(box, { server: sim.url, 'auth-token': sim.token, plaintext: 'true', applications: 'churn-production', timeout: '20' });
      expect(outputs).toMatchObject({ 'from-version': '2', 'to-version': '1', 'argocd-result': 'healthy', operation: 'rolled-back' });
      const app = sim.app('churn-production');
      expect((app?.status as { sync: { revision: string } }).sync.revision).toBe(outputs['commit-sha']);
      expect(ctx.summaries.join('')).toContain('healthy');
      expect(sim.violations).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  describe('with argocd-rollback', () => {
    const timings = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 20, pollIntervalMs: 600_000 };
    type Status = { sync: { status: string; revision: string }; health: { status: string }; history: { id: number; revision: string }[]; operationState?: { phase: string; operation: Record<string, unknown>; syncResult?: { revision: string } } };
    const statusOf = (sim: ArgoCdSimulator) => sim.app('churn-production')?.status as unknown as Status;

    /** Version 1 running healthy, then version 2 deployed and Degraded; answers the two promotion commits. */
    async function degradedCluster(box: Sandbox, sim: ArgoCdSimulator, automated: boolean): Promise<{ good: string; bad: string }> {
      const good = await git(box.remote.bare, ['rev-parse', 'main']);
      sim.markBad(2, 'Back-off restarting failed container model-server');
      const bad = await promote(box, 2);
      if (automated) {
        await sim.refresh('churn-production');
      } else {
        const client = createArgoCdClient({ server: sim.url, authToken: sim.token });
        await client.get('churn-production', { refresh: 'normal' });
        await client.sync('churn-production', { revision: bad });
        await client.close();
      }
      await sim.waitFor('churn-production', (app) => (app.status as unknown as Status).health.status === 'Degraded' && (app.status as unknown as Status).history.at(-1)?.revision === bad);
      return { good, bad };
    }

    async function cluster(box: Sandbox, automated: boolean): Promise<ArgoCdSimulator> {
      await promote(box, 1);
      return startArgoCdSimulator({
        ...timings,
        apps: [
          { name: 'churn-production', repo: box.remote.bare, path: 'envs/production', automated, labels: { env: 'production' } },
          // An app-of-apps parent listing it (its own sync and health do not matter here).
          { name: 'production-root', repo: box.remote.bare, path: 'envs/production', automated: false, children: ['churn-production'] },
        ],
      });
    }

    const argo = (sim: ArgoCdSimulator, extra: Record<string, string | undefined> = {}) => ({ server: sim.url, 'auth-token': sim.token, applications: 'churn-production', timeout: '20', ...extra });
    const posts = (sim: ArgoCdSimulator, what: 'rollback' | 'sync') => sim.requests.filter((request) => request.route === `POST /api/v1/applications/{name}/${what}`);

    it('auto-sync off: Argo CD rolls the app back to the history entry that ran the target version, and the wait follows that operation', { timeout: 30_000 }, async () => {
      const box = await sandbox();
      const sim = await cluster(box, false);
      try {
        const { good } = await degradedCluster(box, sim, false);
        // The app is found as the child of its app-of-apps parent, then rolled back by name.
        const { outputs, ctx } = await roll(box, argo(sim, { applications: undefined, 'children-of': 'production-root', 'argocd-rollback': 'true' }));
        expect(outputs).toMatchObject({ 'from-version': '2', 'to-version': '1', 'argocd-result': 'healthy', operation: 'rolled-back', 'alias-moved': true });
        expect(posts(sim, 'rollback')).toHaveLength(1);
        expect(posts(sim, 'sync').filter((request) => request.status === 200)).toHaveLength(1); // the test's own sync of version 2
        const status = statusOf(sim);
        // Entry 0 (version 1's promotion) redeployed with strategy apply by the token's user; a new history entry records it.
        expect(status.operationState).toMatchObject({ phase: 'Succeeded', syncResult: { revision: good }, operation: { sync: { revision: good, syncStrategy: { apply: {} } }, initiatedBy: { username: 'admin' } } });
        expect(status.history.map((entry) => entry.revision)).toEqual([good, expect.any(String), good]);
        expect(status.health.status).toBe('Healthy');
        // Argo CD's rollback leaves the app OutOfSync against its branch, whose tip is the rollback commit.
        expect(status.sync).toMatchObject({ status: 'OutOfSync', revision: outputs['commit-sha'] });
        expect(ctx.infos).toContain(
          `Argo CD is rolling argocd/churn-production back to history entry 0 (${good.slice(0, 12)}), which ran version 1; the app may show OutOfSync against its branch until its next sync deploys the rollback commit ${(outputs['commit-sha'] as string).slice(0, 12)}.`,
        );
        expect(ctx.summaries.join('')).toContain('healthy; argocd/churn-production: Argo CD rollback to history entry 0');

        // A second identical run finds the entry running already: no second rollback.
        const again = await roll(box, argo(sim, { 'argocd-rollback': 'true' }));
        expect(again.outputs).toMatchObject({ operation: 'already-rolled-back', 'argocd-result': 'healthy' });
        expect(posts(sim, 'rollback')).toHaveLength(1);
        expect(again.ctx.infos).toContain(`Argo CD application churn-production already runs history entry 2 (${good.slice(0, 12)}), which has version 1.`);
        expect(sim.violations).toEqual([]);
      } finally {
        await sim.close();
      }
    });

    it('auto-sync on: explains in one sentence that Argo CD refuses the rollback, and falls back to the rollback commit, which auto-sync deploys', { timeout: 30_000 }, async () => {
      const box = await sandbox();
      const sim = await cluster(box, true);
      try {
        await degradedCluster(box, sim, true);
        const { outputs, ctx } = await roll(box, argo(sim, { 'argocd-rollback': 'true' }));
        expect(outputs).toMatchObject({ 'from-version': '2', 'to-version': '1', 'argocd-result': 'healthy', operation: 'rolled-back' });
        const commit = outputs['commit-sha'] as string;
        expect(ctx.warnings).toEqual([
          `Argo CD application churn-production has auto-sync on, so Argo CD refuses to roll it back (and auto-sync would redeploy the bad commit right after); the rollback commit ${commit.slice(0, 12)} brings version 1 back instead, through auto-sync.`,
        ]);
        // Not asked at all (it would be a 400), and not synced by hand either: auto-sync deployed the rollback commit.
        expect(posts(sim, 'rollback')).toHaveLength(0);
        expect(posts(sim, 'sync')).toHaveLength(0);
        expect(statusOf(sim)).toMatchObject({ sync: { status: 'Synced', revision: commit }, health: { status: 'Healthy' }, operationState: { operation: { initiatedBy: { automated: true } } } });
        expect(ctx.summaries.join('')).toContain('churn-production: auto-sync on, rolled back through git');
        expect(sim.violations).toEqual([]);
      } finally {
        await sim.close();
      }
    });

    it('refuses argocd-rollback without applications to roll back', async () => {
      const box = await sandbox();
      const error = await commandError(rollback, { 'model-name': 'churn', environment: 'production', server: 'argocd.example.com', 'auth-token': 't', 'argocd-rollback': 'true' }, { env: box.env, workspace: box.clone });
      expect(error.message).toBe('Input "argocd-rollback" needs the applications to roll back: set input "applications", input "selector" or input "children-of".');
    });

    it('without argocd-rollback, an app found by selector with a manual sync policy is synced to the rollback commit', { timeout: 30_000 }, async () => {
      const box = await sandbox();
      const sim = await cluster(box, false);
      try {
        await degradedCluster(box, sim, false);
        const { outputs } = await roll(box, argo(sim, { applications: undefined, selector: 'env=production' }));
        expect(outputs).toMatchObject({ 'to-version': '1', 'argocd-result': 'healthy' });
        expect(sim.requests.filter((request) => request.route === 'GET /api/v1/applications').map((request) => request.query.selector)).toEqual([['env=production']]);
        expect(posts(sim, 'rollback')).toHaveLength(0);
        expect(statusOf(sim)).toMatchObject({ sync: { status: 'Synced', revision: outputs['commit-sha'] }, health: { status: 'Healthy' }, operationState: { syncResult: { revision: outputs['commit-sha'] } } });
        expect(sim.violations).toEqual([]);
      } finally {
        await sim.close();
      }
    });
  });

  it('dry-run changes nothing', async () => {
    const box = await sandbox();
    for (const version of [1, 2]) await promote(box, version);
    const before = await commits(box);
    const { outputs } = await roll(box, { 'dry-run': 'true' });
    expect(outputs).toMatchObject({ operation: 'dry-run', 'from-version': '2', 'to-version': '1', 'commit-sha': '' });
    expect(await commits(box)).toBe(before);
    expect((await createFileRegistry({ directory: box.registryDir }).getVersion('churn', '2'))?.tags['ml-gitops.rolled-back']).toBeUndefined();
  });
});
