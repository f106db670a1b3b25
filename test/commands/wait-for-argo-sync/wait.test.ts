import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitForArgoSync } from '../../../src/commands/wait-for-argo-sync/index.ts';
import { createManifestRepo, modelValues, servingDeployment, startArgoCdSimulator, type ArgoCdSimulator, type ArgoCdSimulatorOptions } from '../../support/argocd-simulator/index.ts';
import { removeTempDirs } from '../../support/git-repos.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

const sims: ArgoCdSimulator[] = [];
afterEach(async () => {
  for (const sim of sims) expect(sim.violations).toEqual([]);
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});
afterAll(removeTempDirs);

const fast = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 20, refreshDeadlineMs: 300, pollIntervalMs: 600_000 };

async function setup(extra: ArgoCdSimulatorOptions = {}, appExtra: Record<string, unknown> = {}) {
  const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
  const sim = await startArgoCdSimulator({ ...fast, ...extra, apps: extra.apps ?? [{ name: 'churn-prod', repo: repo.bare, path: 'envs/prod', ...appExtra }] });
  sims.push(sim);
  const base = { server: sim.url, 'auth-token': sim.token, plaintext: 'true' };
  return { repo, sim, base };
}

const push = (repo: Awaited<ReturnType<typeof createManifestRepo>>, version: number) =>
  repo.commit({ 'envs/prod/values.yaml': modelValues(version), 'envs/prod/serving.yaml': servingDeployment(version) }, `Bump to ${version}`);

describe('wait-for-argo-sync', () => {
  it('does NOT accept an app that is Synced and Healthy at the old commit (the classic trap): it refreshes and waits for ours', async () => {
    const { repo, sim, base } = await setup();
    const old = await repo.head();
    // A revision Argo CD has not seen: without a refresh the app stays Synced+Healthy at the old commit.
    sim.setStuck('churn-prod', true);
    const pushed = await push(repo, 2);
    const error = await commandError(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, timeout: '2' });
    expect(error.message).toMatch(new RegExp(`^Argo CD did not run ${pushed.slice(0, 12)} healthy within 2 s: churn-prod Synced/Healthy at ${old.slice(0, 12)}`));
    expect((error.outputs as { result: string }).result).toBe('timeout');
  });

  it('refreshes an app that has not seen the pushed commit and succeeds once it runs it', async () => {
    const { repo, base, sim } = await setup();
    const pushed = await push(repo, 2);
    const { outputs, ctx } = await runCommand(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, timeout: '20' });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed, analysis: 'skipped' });
    expect(sim.requestCount()).toBeLessThan(20);
    expect(ctx.summaries.join('')).toContain('churn-prod');
    expect(ctx.infos.join('\n')).not.toContain(sim.token);
  });

  it('accepts a descendant of the revision when path has the history', async () => {
    const { repo, base } = await setup();
    const ours = await push(repo, 2);
    const later = await repo.commit({ 'envs/prod/notes.txt': 'unrelated\n' }, 'Later change');
    const { outputs } = await runCommand(waitForArgoSync, { ...base, applications: 'churn-prod', revision: ours, path: repo.clone, timeout: '20' });
    expect(outputs).toMatchObject({ result: 'healthy', revision: later });
  });

  it('fails fast on Degraded at the revision, naming the unhealthy resources', async () => {
    const { repo, sim, base } = await setup();
    sim.markBad(2, 'Back-off restarting failed container model-server');
    const pushed = await push(repo, 2);
    const started = Date.now();
    const error = await commandError(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, timeout: '60' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toMatch(/^Argo CD application churn-prod is Degraded at [0-9a-f]{12}.*Back-off restarting failed container model-server/);
    expect((error.outputs as { result: string }).result).toBe('degraded');
  });

  it('recovers from a dropped stream mid-wait', async () => {
    const { repo, sim, base } = await setup({ ...fast, progressingMs: 600 });
    const pushed = await push(repo, 2);
    const run = runCommand(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, timeout: '20' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    sim.dropStreams();
    const { outputs } = await run;
    expect(outputs.result).toBe('healthy');
  });

  it('waits for 50 apps found by a selector over one stream', async () => {
    const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
    const apps = Array.from({ length: 50 }, (_, i) => ({ name: `churn-${i}`, repo: repo.bare, path: 'envs/prod', labels: { model: 'churn' } }));
    const sim = await startArgoCdSimulator({ ...fast, apps });
    sims.push(sim);
    const pushed = await push(repo, 2);
    const { outputs } = await runCommand(waitForArgoSync, { server: sim.url, 'auth-token': sim.token, plaintext: 'true', selector: 'model=churn', revision: pushed, timeout: '30' });
    expect(outputs.result).toBe('healthy');
    expect((outputs.applications as unknown[]).length).toBe(50);
    expect(sim.streamsOpened).toBe(1);
  });

  it('waits for an app that is created late', async () => {
    const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1) });
    const sim = await startArgoCdSimulator({ ...fast, apps: [{ name: 'late', repo: repo.bare, path: 'envs/prod', createAfterMs: 800 }] });
    sims.push(sim);
    const base = { server: sim.url, 'auth-token': sim.token, plaintext: 'true' };
    const { outputs } = await runCommand(waitForArgoSync, { ...base, applications: 'late', timeout: '20' });
    expect(outputs.result).toBe('healthy');
  });

  it('syncs an app with a manual sync policy to the revision', async () => {
    const { repo, base, sim } = await setup({}, { automated: false });
    const pushed = await push(repo, 2);
    const { outputs } = await runCommand(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, sync: 'true', timeout: '20' });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed });
    expect(sim.requestCount('POST /api/v1/applications/{name}/sync')).toBe(1);
  });

  it('handles a suspended canary according to on-suspended', async () => {
    const { repo, sim, base } = await setup();
    sim.markSuspended(2, 'CanaryPauseStep');
    const pushed = await push(repo, 2);
    const succeeded = await runCommand(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, 'on-suspended': 'succeed', timeout: '20' });
    expect(succeeded.outputs.result).toBe('suspended');
    const failed = await commandError(waitForArgoSync, { ...base, applications: 'churn-prod', revision: pushed, 'on-suspended': 'fail', timeout: '20' });
    expect(failed.message).toMatch(/is Suspended \(.*CanaryPauseStep/);
  });

  it('refuses bad input in one sentence each', async () => {
    expect((await commandError(waitForArgoSync, { server: 'argocd.example.com', 'auth-token': 't' })).message).toBe(
      'wait-for-argo-sync needs input "applications", input "selector" or input "children-of"; set at least one of them.',
    );
    expect((await commandError(waitForArgoSync, { applications: 'a', 'auth-token': 't' })).message).toBe('Input "server" is required to talk to Argo CD (or set ARGOCD_SERVER).');
    expect((await commandError(waitForArgoSync, { server: 'a', applications: 'a', 'auth-token': 't', revision: 'main' })).message).toMatch(/^Input "revision" "main" is not a commit SHA/);
  });
});
