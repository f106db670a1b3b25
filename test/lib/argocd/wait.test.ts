/**
 * The shared wait against the Argo CD simulator (apps following REAL bare git repositories), with the manifest
 * repository's clone as the `path` history for descendant checks.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUTO_SYNC_TRAP,
  createArgoCdClient,
  findHistoryEntry,
  rollbackToRevision,
  tryArgoRollback,
  waitForApplications,
  type ArgoCdClient,
  type WaitOptions,
} from '../../../src/lib/argocd/index.ts';
import { gitHistory } from '../../../src/lib/argocd/revision.ts';
import { UserError } from '../../../src/lib/errors.ts';
import {
  createManifestRepo,
  modelValues,
  servingDeployment,
  startArgoCdSimulator,
  type ArgoCdSimulator,
  type ArgoCdSimulatorOptions,
  type ManifestRepo,
  type SimAppDefinition,
} from '../../support/argocd-simulator/index.ts';
import { trackSimulators } from '../../support/argocd-simulator/cleanup.ts';
import { testContext } from '../../support/context.ts';
import { git, removeTempDirs } from '../../support/git-repos.ts';
import { startTcpForwarder } from '../../support/tcp-forwarder.ts';

const { track, trackClient } = trackSimulators();
afterAll(removeTempDirs);

/** Fast controller timings; the repository poll is long, so only a refresh makes an app see a push. */
const fast: ArgoCdSimulatorOptions = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 30, pollIntervalMs: 600_000, refreshDeadlineMs: 2_000 };

interface Setup {
  repo: ManifestRepo;
  sim: ArgoCdSimulator;
  client: ArgoCdClient;
  lines: string[];
  wait(options: Partial<WaitOptions>): ReturnType<typeof waitForApplications>;
}

async function setup(apps: (bare: string) => SimAppDefinition[], simOptions: ArgoCdSimulatorOptions = {}): Promise<Setup> {
  const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
  const sim = await startArgoCdSimulator({ ...fast, ...simOptions, apps: apps(repo.bare) });
  track(sim);
  const client = createArgoCdClient({ server: sim.url, authToken: sim.token, retry: { initialDelayMs: 5, jitterMs: 0 } });
  trackClient(client);
  const lines: string[] = [];
  const wait = (options: Partial<WaitOptions>) =>
    waitForApplications(client, {
      applications: [],
      timeoutMs: 10_000,
      log: { info: (message) => void lines.push(message) },
      refreshIntervalMs: 200,
      missingPollMs: 100,
      reconnectDelayMs: 50,
      ...options,
    });
  return { repo, sim, client, lines, wait };
}

/** Pushes model version `version` (values and the serving Deployment); answers the commit. */
const pushVersion = (repo: ManifestRepo, version: number): Promise<string> =>
  repo.commit({ 'envs/prod/values.yaml': modelValues(version), 'envs/prod/serving.yaml': servingDeployment(version) }, `Bump churn to ${version}`);

const history = (repo: ManifestRepo) => gitHistory(repo.clone, testContext({ env: process.env }));
const prod = (bare: string, extra: Partial<SimAppDefinition> = {}): SimAppDefinition => ({ name: 'churn-prod', repo: bare, path: 'envs/prod', ...extra });

describe('waitForApplications: the revision', () => {
  it('does not take an app Synced and Healthy at the OLD commit for success (the classic trap), and refreshes it instead', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)]);
    const old = await repo.head();
    const pushed = await pushVersion(repo, 2);
    expect(sim.app('churn-prod')?.status).toMatchObject({ sync: { status: 'Synced', revision: old }, health: { status: 'Healthy' } });

    const stale = await wait({ applications: ['churn-prod'], revision: pushed, refresh: 'off', timeoutMs: 800 });
    expect(stale.result).toBe('timeout');
    expect(stale.apps[0]).toMatchObject({ revision: old, sync: 'Synced', health: 'Healthy', state: 'waiting' });
    expect(stale.failure).toContain(`churn-prod is Synced/Healthy at ${old.slice(0, 12)} (at ${old.slice(0, 12)}, not yet at ${pushed.slice(0, 12)})`);

    const fresh = await wait({ applications: ['churn-prod'], revision: pushed });
    expect(fresh.result).toBe('healthy');
    expect(fresh.revision).toBe(pushed);
    expect(sim.requests.some((request) => request.route === 'GET /api/v1/applications/{name}' && request.query.refresh?.[0] === 'normal')).toBe(true);
  });

  it('returns after one GET when the app already runs the revision', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)]);
    const result = await wait({ applications: ['churn-prod'], revision: await repo.head() });
    expect(result.result).toBe('healthy');
    expect(result.requests).toEqual({ gets: 1, syncs: 0, streams: 0 });
    expect(sim.streamsOpened).toBe(0);
  });

  it('accepts a descendant of the revision when the checkout has the history, and only the revision itself without it', async () => {
    const { repo, wait } = await setup((bare) => [prod(bare)]);
    const ours = await pushVersion(repo, 2);
    const later = await repo.commit({ 'envs/prod/README.md': 'notes\n' }, 'Docs');
    const withHistory = await wait({ applications: ['churn-prod'], revision: ours, history: history(repo) });
    expect(withHistory).toMatchObject({ result: 'healthy', revision: later });

    const withoutHistory = await wait({ applications: ['churn-prod'], revision: ours, timeoutMs: 600 });
    expect(withoutHistory.result).toBe('timeout');
  });

  it('fails fast when the app runs a newer revision that does not contain ours', async () => {
    const { repo, wait } = await setup((bare) => [prod(bare)]);
    // A commit on a side branch (repo.commit always pushes to main).
    await git(repo.clone, ['checkout', '--quiet', '-b', 'side']);
    await git(repo.clone, ['commit', '--quiet', '--allow-empty', '--message', 'On a side branch']);
    const side = await git(repo.clone, ['rev-parse', 'HEAD']);
    await git(repo.clone, ['push', '--quiet', 'origin', 'HEAD:side']);
    await git(repo.clone, ['checkout', '--quiet', 'main']);
    const main = await pushVersion(repo, 3);
    const result = await wait({ applications: ['churn-prod'], revision: side, history: history(repo) });
    // Failed, not timed out: the verdict came from the revision, not from the 10-s budget running out.
    expect(result.result).toBe('failed');
    expect(result.failure).toBe(`Argo CD application churn-prod now runs revision ${main.slice(0, 12)}, which does not contain ${side.slice(0, 12)}: a newer commit replaced it, or the app follows another branch.`);
  });
});

describe('waitForApplications: failing fast', () => {
  it('fails within one event of Degraded at the revision, naming the unhealthy resource and its message', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)], { progressingMs: 300 });
    sim.markBad(2, 'Deployment exceeded its progress deadline');
    const pushed = await pushVersion(repo, 2);
    let requestsAtDegraded = -1;
    sim.onUpdate((_type, app) => {
      if (requestsAtDegraded === -1 && (app.status.health as { status: string }).status === 'Degraded') requestsAtDegraded = sim.requestCount();
    });
    const result = await wait({ applications: ['churn-prod'], revision: pushed });
    expect(result.result).toBe('degraded');
    // Within one event: the verdict came from the streamed Degraded object itself, with no read after it.
    expect(requestsAtDegraded).toBeGreaterThan(0);
    expect(sim.requestCount()).toBe(requestsAtDegraded);
    expect(result.failure).toBe(
      `Argo CD application churn-prod is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Deployment/churn-serving: Degraded (Deployment exceeded its progress deadline).`,
    );
    expect(result.apps[0]?.unhealthy).toEqual(['Deployment/churn-serving: Degraded (Deployment exceeded its progress deadline)']);
  });

  it('reads the unhealthy resources from the resource tree when the app object carries no resource health (a tree cache miss)', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)], { appsWithoutResourceHealth: true });
    sim.markBad(2, 'Deployment exceeded its progress deadline');
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ applications: ['churn-prod'], revision: pushed });
    expect(result.result).toBe('degraded');
    expect(result.failure).toBe(
      `Argo CD application churn-prod is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Deployment/churn-serving: Degraded (Deployment exceeded its progress deadline).`,
    );
    expect(result.apps[0]?.unhealthy).toEqual(['Deployment/churn-serving: Degraded (Deployment exceeded its progress deadline)']);
    expect(sim.requestCount('GET /api/v1/applications/{name}/resource-tree')).toBe(1);
  });

  it('accepts a Degraded app when health is not required (Synced is enough)', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)]);
    sim.markBad(2);
    const pushed = await pushVersion(repo, 2);
    expect((await wait({ applications: ['churn-prod'], revision: pushed, health: false })).result).toBe('healthy');
  });

  it('fails with the operation message and the failed resources when the sync fails', async () => {
    const { repo, sim, wait } = await setup((bare) => [prod(bare)]);
    sim.markSyncFails(2, 'admission webhook denied the request');
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ applications: ['churn-prod'], revision: pushed });
    expect(result.result).toBe('failed');
    expect(result.failure).toContain(`The sync of Argo CD application churn-prod to ${pushed.slice(0, 12)} failed: one or more objects failed to apply, reason: admission webhook denied the request; failed resources: Deployment/churn-serving: admission webhook denied the request`);
    expect(result.apps[0]?.operationPhase).toBe('Failed');
  });

  it('fails on a ComparisonError condition', async () => {
    const { wait } = await setup((bare) => [prod(bare, { targetRevision: 'no-such-branch' })]);
    const result = await wait({ applications: ['churn-prod'] });
    expect(result.result).toBe('failed');
    expect(result.failure).toMatch(/^Argo CD application churn-prod cannot deploy revision \(any\): ComparisonError: Unable to resolve 'no-such-branch'/);
  });

  it('waits for an app created late (an ApplicationSet still creating it), and fails one that stays missing past the grace period', async () => {
    const { repo, wait, lines } = await setup((bare) => [prod(bare), prod(bare, { name: 'churn-late', createAfterMs: 400 })]);
    const head = await repo.head();
    const late = await wait({ applications: ['churn-prod', 'churn-late'], revision: head, notFoundGraceMs: 5_000 });
    expect(late.result).toBe('healthy');
    expect(lines).toContain('churn-late: not found or not permitted (yet).');

    const started = Date.now();
    const ghost = await wait({ applications: ['churn-ghost'], revision: head, notFoundGraceMs: 300 });
    expect(ghost.result).toBe('failed');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ghost.failure).toMatch(
      new RegExp(
        `^Argo CD at http://127\\.0\\.0\\.1:\\d+ still reports application churn-ghost as not found or not permitted after 0\\.\\d s of waiting for ${head.slice(0, 12)} \\(permission denied\\): check the name, that the ApplicationSet or parent app meant to create it did, and that the token's RBAC lets it read the app\\.$`,
      ),
    );
  });
});

describe('waitForApplications: the stream', () => {
  it('recovers from a stream dropped mid-wait and sees the app turn Healthy', async () => {
    const { repo, sim, wait, lines } = await setup((bare) => [prod(bare)]);
    sim.markSuspended(2, 'CanaryPauseStep');
    const pushed = await pushVersion(repo, 2);
    const waiting = wait({ applications: ['churn-prod'], revision: pushed, guardIntervalMs: 60_000 });
    await sim.waitFor('churn-prod', (app) => (app.status.health as { status: string }).status === 'Suspended' && (app.status.sync as { revision: string }).revision === pushed);
    await until(() => sim.openStreams === 1);
    expect(sim.dropStreams()).toBe(1);
    await until(() => sim.streamsOpened === 2 && sim.openStreams === 1);
    sim.clearMarks(2);
    const result = await waiting;
    expect(result.result).toBe('healthy');
    expect(result.requests.streams).toBe(2);
    expect(lines.some((line) => line.startsWith('The Argo CD watch stream was re-opened'))).toBe(true);
    expect(lines).toContain('churn-prod is Suspended: CanaryPauseStep (waiting for it to resume).');
  });

  it('a GET after the guard interval catches what a silent stream never sends', async () => {
    const { repo, sim, wait, lines } = await setup((bare) => [prod(bare)]);
    const pushed = await pushVersion(repo, 2);
    // The stream opens and stays open, but carries nothing (a buffering proxy): only the guard GET can see the change.
    sim.silenceStreams(true);
    const started = Date.now();
    const result = await wait({ applications: ['churn-prod'], revision: pushed, guardIntervalMs: 400, refreshIntervalMs: 60_000 });
    expect(result.result).toBe('healthy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(sim.streamsOpened).toBe(1);
    expect(lines.some((line) => line.startsWith('The Argo CD watch stream was re-opened'))).toBe(false);
    const streamAt = sim.requests.findIndex((request) => request.route === 'GET /api/v1/stream/applications');
    const guardReads = sim.requests.slice(streamAt + 1).filter((request) => request.route === 'GET /api/v1/applications/{name}' && request.query.refresh === undefined);
    expect(streamAt).toBeGreaterThan(-1);
    expect(guardReads.length).toBeGreaterThanOrEqual(1);
    expect(result.requests.streams).toBe(1);
  });

  it('waits for 50 apps found by a selector over ONE stream', async () => {
    const names = Array.from({ length: 50 }, (_, index) => `churn-${String(index).padStart(2, '0')}`);
    const { repo, sim, wait } = await setup((bare) => [...names.map((name) => prod(bare, { name, labels: { team: 'ml' } })), prod(bare, { name: 'other' })]);
    // Already running the revision: the selector's list is the only request.
    const running = await wait({ selector: 'team=ml', revision: await repo.head() });
    expect(running).toMatchObject({ result: 'healthy', requests: { gets: 1, syncs: 0, streams: 0 } });
    expect(sim.requests).toHaveLength(1);
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ selector: 'team=ml', revision: pushed, timeoutMs: 20_000 });
    expect(result.result).toBe('healthy');
    expect(result.apps.map((app) => app.name).sort()).toEqual(names);
    expect(result.apps.every((app) => app.revision === pushed)).toBe(true);
    expect(sim.streamsOpened).toBeLessThanOrEqual(1);
    const streams = sim.requests.slice(1).filter((request) => request.route === 'GET /api/v1/stream/applications');
    expect(streams.length).toBeLessThanOrEqual(1);
    if (streams.length === 1) expect(streams[0]?.query.selector).toEqual(['team=ml']);
    // One list, one GET and at most a couple of refreshes per app: no polling loop per app.
    expect(result.requests.gets).toBeLessThanOrEqual(1 + 50 * 3);
  }, 30_000);

  it('waits for the children of an app-of-apps parent', async () => {
    const { repo, wait } = await setup((bare) => [prod(bare, { name: 'root', children: ['child-a', 'child-b'] }), prod(bare, { name: 'child-a' }), prod(bare, { name: 'child-b' })]);
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ childrenOf: 'root', revision: pushed });
    expect(result.result).toBe('healthy');
    expect(result.apps.map((app) => app.name)).toEqual(['child-a', 'child-b']);
  });
});

describe('waitForApplications: on-suspended', () => {
  it('keeps waiting (logging the pause), succeeds or fails on a paused canary as told', async () => {
    const { repo, sim, wait, lines } = await setup((bare) => [prod(bare)]);
    sim.markSuspended(2, 'CanaryPauseStep');
    const pushed = await pushVersion(repo, 2);
    const waited = await wait({ applications: ['churn-prod'], revision: pushed, onSuspended: 'wait', timeoutMs: 1_000 });
    expect(waited.result).toBe('timeout');
    expect(waited.failure).toContain('churn-prod is Synced/Suspended');
    expect(waited.failure).toContain('CanaryPauseStep');
    expect(lines).toContain('churn-prod is Suspended: CanaryPauseStep (waiting for it to resume).');

    expect((await wait({ applications: ['churn-prod'], revision: pushed, onSuspended: 'succeed' })).result).toBe('suspended');
    const failed = await wait({ applications: ['churn-prod'], revision: pushed, onSuspended: 'fail' });
    expect(failed.result).toBe('suspended');
    expect(failed.failure).toBe(`Argo CD application churn-prod is Suspended at ${pushed.slice(0, 12)} (CanaryPauseStep), and on-suspended is fail.`);
  });
});

describe('waitForApplications: an aborted canary', () => {
  it('waits through the pause of a canary (on-suspended wait), then fails at once when its analysis aborts it, with the Rollout\'s message', async () => {
    const { repo, sim, wait, lines } = await setup((bare) => [prod(bare)]);
    sim.markSuspended(2, 'CanaryPauseStep');
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': servingDeployment(2, 'churn-serving', 'Rollout') }, 'Bump churn to 2');
    const waiting = wait({ applications: ['churn-prod'], revision: pushed, onSuspended: 'wait', timeoutMs: 30_000 });
    await until(() => lines.includes('churn-prod is Suspended: CanaryPauseStep (waiting for it to resume).'));
    sim.markAborted(2, 'Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2)');
    const result = await waiting;
    expect(result.result).toBe('degraded');
    expect(result.failure).toBe(
      `Argo CD application churn-prod is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Rollout/churn-serving: Degraded (RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2)).`,
    );
    expect(result.requests.streams).toBe(1);
  });
});

describe('waitForApplications: a server that cannot be read', () => {
  it('bounds the first read of a server that accepts connections and never answers, however long the timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = createArgoCdClient({ server: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, authToken: 't0ken-xyz', retry: { initialDelayMs: 5, jitterMs: 0 } });
    trackClient(client);
    try {
      const error = await waitForApplications(client, { applications: ['churn-prod'], timeoutMs: 600_000, firstContactMs: 300, log: { info: () => undefined } }).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'unreachable', message: expect.stringMatching(/^Argo CD at http:\/\/127\.0\.0\.1:\d+ did not answer while reading application churn-prod \(no answer within the time budget \(\d+ ms\)\)/) });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('once the server answered, a read that finds it down is logged and tried again while the stream reconnects', async () => {
    const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
    const sim = await startArgoCdSimulator({ ...fast, progressingMs: 2_000, apps: [prod(repo.bare)] });
    track(sim);
    const target = new URL(sim.url);
    const forwarder = await startTcpForwarder({ host: target.hostname, port: Number(target.port) });
    try {
      const client = createArgoCdClient({ server: forwarder.url, authToken: sim.token, retry: { initialDelayMs: 5, jitterMs: 0 } });
      trackClient(client);
      const lines: string[] = [];
      const pushed = await pushVersion(repo, 2);
      const waiting = waitForApplications(client, {
        applications: ['churn-prod'],
        revision: pushed,
        timeoutMs: 20_000,
        guardIntervalMs: 100,
        reconnectDelayMs: 50,
        log: { info: (message) => void lines.push(message) },
      });
      await sim.waitFor('churn-prod', (app) => (app.status.health as { status: string }).status === 'Progressing' && sim.openStreams === 1);
      await forwarder.down();
      await until(() => lines.some((line) => line === 'Argo CD did not answer the read of churn-prod (connection refused); reading it again later.'));
      await forwarder.up();
      const result = await waiting;
      expect(result.result).toBe('healthy');
      expect(lines.some((line) => line.startsWith('The Argo CD watch stream was re-opened'))).toBe(true);
    } finally {
      await forwarder.close();
    }
  });
});

describe('waitForApplications: manual sync', () => {
  it('syncs an app with a manual sync policy to the revision with prune and sync options, and waits for that operation', async () => {
    const { repo, sim, wait, lines } = await setup((bare) => [prod(bare, { automated: false })]);
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ applications: ['churn-prod'], revision: pushed, sync: true, prune: true, syncOptions: ['ServerSideApply=true'], runId: 'run-42' });
    expect(result.result).toBe('healthy');
    expect(result.requests.syncs).toBe(1);
    const app = sim.app('churn-prod');
    const state = app?.status.operationState as { operation: { sync: Record<string, unknown>; info: unknown[]; initiatedBy: unknown }; syncResult: { revision: string } };
    expect(state.operation.sync).toMatchObject({ revision: pushed, prune: true, syncOptions: ['ServerSideApply=true'] });
    expect(state.operation.info).toEqual([{ name: 'ml-gitops-run', value: 'run-42' }]);
    expect(state.operation.initiatedBy).toEqual({ username: 'admin' });
    expect(state.syncResult.revision).toBe(pushed);
    expect(lines).toContain(`Started a sync of churn-prod to ${pushed.slice(0, 12)} with prune.`);
  });

  it('waits for another operation in progress to end, then syncs', async () => {
    const { repo, sim, client, wait, lines } = await setup((bare) => [prod(bare, { automated: false })], { syncDurationMs: 600 });
    const pushed = await pushVersion(repo, 2);
    await client.sync('churn-prod', {});
    const result = await wait({ applications: ['churn-prod'], revision: pushed, sync: true, runId: 'run-7' });
    expect(result.result).toBe('healthy');
    expect(lines).toContain('churn-prod: another operation is in progress.');
    expect(sim.requests.filter((request) => request.route === 'POST /api/v1/applications/{name}/sync' && request.status === 400).length).toBeGreaterThanOrEqual(1);
    expect((sim.app('churn-prod')?.status.operationState as { operation: { info: unknown[] } }).operation.info).toEqual([{ name: 'ml-gitops-run', value: 'run-7' }]);
  });

  it('does not sync an auto-sync app by hand: it waits for its own sync', async () => {
    const { repo, wait, lines } = await setup((bare) => [prod(bare)]);
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ applications: ['churn-prod'], revision: pushed, sync: true });
    expect(result).toMatchObject({ result: 'healthy', requests: { syncs: 0 } });
    expect(lines).toContain('churn-prod syncs automatically; waiting for its own sync instead of syncing it by hand.');
  });

  it('reports a sync window refusal as a clear failure', async () => {
    const { repo, wait } = await setup((bare) => [prod(bare, { automated: false, syncWindowBlocked: true })]);
    const pushed = await pushVersion(repo, 2);
    const result = await wait({ applications: ['churn-prod'], revision: pushed, sync: true });
    expect(result.result).toBe('failed');
    expect(result.failure).toMatch(/refused syncing application churn-prod to [0-9a-f]{40} \(HTTP 403: cannot sync: blocked by sync window\) \(a sync window blocks manual syncs now/);
  });
});

describe("Argo CD's rollback", () => {
  it('rolls back to the history entry that ran a revision, and the wait follows that operation', async () => {
    const { repo, client, wait } = await setup((bare) => [prod(bare, { automated: false })]);
    const good = await repo.head();
    const bad = await pushVersion(repo, 2);
    expect((await wait({ applications: ['churn-prod'], revision: bad, sync: true })).result).toBe('healthy');
    const app = await client.get('churn-prod');
    expect(findHistoryEntry(app, good)?.id).toBe(0);
    expect(findHistoryEntry(app, bad.slice(0, 10))?.id).toBe(1);
    const since = Date.now();
    const rolled = await rollbackToRevision(client, 'churn-prod', good);
    expect(rolled).toMatchObject({ id: 0, revision: good });
    const result = await wait({ applications: ['churn-prod'], revision: good, afterRollback: true, operationSince: since, history: history(repo) });
    expect(result.result).toBe('healthy');
    expect((await client.get('churn-prod')).status?.operationState?.syncResult?.revision).toBe(good);
  });

  it('takes auto-sync turned on between the read and the request (Argo CD answers 400) for the auto-sync trap, not a failure', async () => {
    const { repo, sim, client, wait } = await setup((bare) => [prod(bare, { automated: false })]);
    const good = await repo.head();
    const bad = await pushVersion(repo, 2);
    expect((await wait({ applications: ['churn-prod'], revision: bad, sync: true })).result).toBe('healthy');
    const attempt = await tryArgoRollback(client, 'churn-prod', async (entry) => {
      if (entry.revision !== good) return false;
      // Someone (a parent app's sync, an ApplicationSet) turns auto-sync back on meanwhile.
      const answer = await fetch(`${sim.url}/api/v1/applications/churn-prod`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sim.token}` },
        body: JSON.stringify({ name: 'churn-prod', patch: JSON.stringify({ spec: { syncPolicy: { automated: { prune: true } } } }), patchType: 'merge' }),
      });
      expect(answer.status).toBe(200);
      return true;
    });
    expect(attempt.kind).toBe('auto-sync');
    const refused = sim.requests.filter((request) => request.route === 'POST /api/v1/applications/{name}/rollback');
    expect(refused.map((request) => request.status)).toEqual([400]);
  });

  it('explains the auto-sync trap in one sentence', async () => {
    const { repo, client } = await setup((bare) => [prod(bare)]);
    const error = await rollbackToRevision(client, 'churn-prod', await repo.head()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`Argo CD application churn-prod has auto-sync on, so it cannot be rolled back through Argo CD: ${AUTO_SYNC_TRAP}`);
  });
});

async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
