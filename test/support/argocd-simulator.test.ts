import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './git-repos.ts';
import {
  createManifestRepo,
  modelValues,
  servingDeployment,
  startArgoCdSimulator,
  type AppObject,
  type ArgoCdSimulatorOptions,
  type SimAppDefinition,
} from './argocd-simulator/index.ts';
import { trackSimulators } from './argocd-simulator/cleanup.ts';

// Every test also fails when a simulator saw (or sent) something the real Argo CD would refuse.
const { track } = trackSimulators();
afterAll(removeTempDirs);

const fast = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 20, refreshDeadlineMs: 300 };

async function setup(apps: (bare: string) => ArgoCdSimulatorOptions['apps'], extra: ArgoCdSimulatorOptions = {}) {
  const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
  const sim = await startArgoCdSimulator({ ...fast, ...extra, apps: apps(repo.bare) });
  track(sim);
  const call = async (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${sim.url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, ...(body === undefined && method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely, the simulator validates them
    return { status: response.status, type: response.headers.get('content-type'), body: json as Record<string, any> };
  };
  return { repo, sim, call };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a loose view of the status for assertions
const status = (app: AppObject) => app.status as { sync: { status: string; revision?: string }; health: { status: string }; history: { id: number; revision: string }[]; operationState?: Record<string, any>; resources: Record<string, any>[] };

describe('Argo CD simulator', () => {
  it('serves an app deployed at the branch tip, and refuses what the server refuses', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod', labels: { team: 'ml' } }]);
    const head = await repo.head();
    const got = await call('GET', '/api/v1/applications/churn-prod');
    expect(got.status).toBe(200);
    expect(got.body.status.sync).toMatchObject({ status: 'Synced', revision: head });
    expect(got.body.status.health.status).toBe('Healthy');
    expect(got.body.status.history).toEqual([expect.objectContaining({ id: 0, revision: head })]);
    expect(got.body.status.resources).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'Deployment', name: 'churn-serving', health: { status: 'Healthy' } })]));

    expect(await call('GET', '/api/v1/applications/nope')).toMatchObject({ status: 403, body: { error: 'permission denied', code: 7, message: 'permission denied', details: [] } });
    expect(await call('GET', '/api/v1/applications/nope?project=default')).toMatchObject({ status: 404, body: { code: 5 } });
    expect(await call('GET', '/api/v1/applications/churn-prod', undefined, { authorization: '' })).toMatchObject({ status: 401, body: { code: 16 } });
    expect(sim.violations).toEqual([]);

    const wrongType = await call('POST', '/api/v1/applications/churn-prod/sync', {}, { 'content-type': 'application/json; charset=utf-8' });
    expect(wrongType).toEqual({ status: 415, type: 'text/plain; charset=utf-8', body: 'Invalid content type' });
    const deleteWithoutType = await fetch(`${sim.url}/api/v1/applications/churn-prod/operation`, { method: 'DELETE', headers: { authorization: `Bearer ${sim.token}` } });
    expect(deleteWithoutType.status).toBe(415);
    expect(await call('POST', '/api/v1/applications/churn-prod/rollback', { id: '0' })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/applications/churn-prod/rollback', {})).toMatchObject({ status: 500, body: { message: 'grpc: error while marshaling: proto: required field "id" not set' } });
    expect(await call('POST', '/api/v1/applications/churn-prod/sync', { sourcePositions: ['1'] })).toMatchObject({ status: 400 });
    expect(sim.violations).toHaveLength(5);
    sim.violations.length = 0;

    expect(await call('POST', '/api/v1/applications/churn-prod/rollback', { id: 0 })).toMatchObject({ status: 400, body: { message: 'rollback cannot be initiated when auto-sync is enabled' } });
    expect(await call('POST', '/api/v1/applications/churn-prod/sync', { revision: head })).toMatchObject({
      status: 400,
      body: { message: `Cannot sync to ${head}: auto-sync currently set to main` },
    });
    expect(await call('DELETE', '/api/v1/applications/churn-prod/operation')).toMatchObject({ status: 400, body: { message: 'Unable to terminate operation. No operation is in progress' } });
    // The web UI answers any other path.
    expect(await call('GET', '/applications/churn-prod')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(sim.violations).toEqual([]);
  });

  it('follows a push after a refresh: OutOfSync at the new commit, an auto-sync operation, then Synced and Healthy', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const first = await repo.head();
    const second = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    // Without a refresh (the poll is 3 minutes), nothing changes.
    expect((await call('GET', '/api/v1/applications/churn-prod')).body.status.sync.revision).toBe(first);
    const refreshed = await call('GET', '/api/v1/applications/churn-prod?refresh=normal');
    expect(refreshed.body.status.sync).toMatchObject({ status: 'OutOfSync', revision: second });
    expect(refreshed.body.operation).toMatchObject({ sync: { revision: second }, initiatedBy: { automated: true } });
    const done = await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Healthy' && status(app).history.length === 2);
    expect(status(done).sync).toMatchObject({ status: 'Synced', revision: second });
    expect(status(done).operationState).toMatchObject({ phase: 'Succeeded', syncResult: { revision: second } });
    expect(status(done).history.map((entry) => entry.id)).toEqual([0, 1]);
    expect(done.operation).toBeUndefined();
    expect(Date.parse(String(done.status.reconciledAt))).toBeGreaterThanOrEqual(Date.parse(String(status(done).operationState!.finishedAt)));
    expect(sim.violations).toEqual([]);
  });

  it('sees a push by its repository poll when nobody asks for a refresh', async () => {
    const { repo, sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }], { pollIntervalMs: 50 });
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await sim.waitFor('churn-prod', (app) => status(app).sync.revision === pushed && status(app).sync.status === 'Synced');
    expect(sim.requests).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('turns Degraded for a version marked bad, Suspended for a paused one, and fails the sync of a broken one', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    sim.markBad(2, 'readiness probe failed: model 2 cannot load');
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': servingDeployment(2) });
    await call('GET', '/api/v1/applications/churn-prod?refresh=hard');
    const degraded = await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Degraded');
    expect(status(degraded).resources).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'churn-serving', health: { status: 'Degraded', message: 'readiness probe failed: model 2 cannot load' } }));
    const tree = await call('GET', '/api/v1/applications/churn-prod/resource-tree');
    expect(tree.body.nodes).toContainEqual(expect.objectContaining({ kind: 'Deployment', health: { status: 'Degraded', message: 'readiness probe failed: model 2 cannot load' } }));

    sim.markSuspended(3);
    await repo.commit({ 'envs/prod/values.yaml': modelValues(3) });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Suspended');

    sim.markSyncFails(4, 'admission webhook denied the request');
    const fourth = await repo.commit({ 'envs/prod/values.yaml': modelValues(4) });
    await sim.refresh('churn-prod');
    const failed = await sim.waitFor('churn-prod', (app) => status(app).operationState?.phase === 'Failed');
    expect(status(failed).operationState).toMatchObject({ message: expect.stringContaining('admission webhook denied the request'), syncResult: { revision: fourth } });
    expect(status(failed).sync).toMatchObject({ status: 'OutOfSync', revision: fourth });
    expect(sim.violations).toEqual([]);
  });

  it('reads a paused Rollout as Suspended, and lets a health rule decide from the rendered manifests', async () => {
    const { repo, sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const rollout = servingDeployment(2, 'churn-serving', 'Rollout').replace('spec:\n  template:', 'spec:\n  paused: true\n  template:');
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': rollout });
    await sim.refresh('churn-prod');
    const paused = await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Suspended');
    expect(status(paused).resources).toContainEqual(expect.objectContaining({ kind: 'Rollout', group: 'argoproj.io', health: { status: 'Suspended', message: 'Rollout is paused' } }));
    sim.addHealthRule(({ modelVersion, rendered }) =>
      modelVersion === '2' && rendered.resources.some((resource) => resource.kind === 'Rollout') ? { status: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 2' } : undefined,
    );
    await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Degraded');
    expect(sim.violations).toEqual([]);
  });

  it('syncs a manual app by request, echoes infos, refuses overlaps and sync windows, terminates and rolls back', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod', automated: false }], { syncDurationMs: 300 });
    const first = await repo.head();
    const second = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    const refreshed = await call('GET', '/api/v1/applications/churn-prod?refresh=normal');
    expect(refreshed.body.status.sync).toMatchObject({ status: 'OutOfSync', revision: second });
    expect(refreshed.body.operation).toBeUndefined();

    const synced = await call('POST', '/api/v1/applications/churn-prod/sync', {
      revision: second,
      prune: true,
      strategy: { hook: { force: false } },
      syncOptions: { items: ['ServerSideApply=true'] },
      infos: [{ name: 'run', value: '42' }],
    });
    expect(synced.status).toBe(200);
    expect(synced.body.operation).toMatchObject({ sync: { revision: second, prune: true, syncOptions: ['ServerSideApply=true'] }, initiatedBy: { username: 'admin' }, info: [{ name: 'run', value: '42' }] });
    expect(synced.body.status.operationState).toBeUndefined();
    expect(await call('POST', '/api/v1/applications/churn-prod/sync', {})).toMatchObject({ status: 400, body: { message: 'another operation is already in progress' } });
    await sim.waitFor('churn-prod', (app) => status(app).operationState?.phase === 'Running');
    expect(await call('DELETE', '/api/v1/applications/churn-prod/operation')).toMatchObject({ status: 200, body: {} });
    const terminated = await sim.waitFor('churn-prod', (app) => status(app).operationState?.phase === 'Failed');
    expect(status(terminated).operationState).toMatchObject({ message: 'Operation terminated', operation: { info: [{ name: 'run', value: '42' }] } });

    await call('POST', '/api/v1/applications/churn-prod/sync', { revision: second });
    await sim.waitFor('churn-prod', (app) => status(app).history.length === 2 && status(app).health.status === 'Healthy');
    expect(await call('POST', '/api/v1/applications/churn-prod/rollback', { id: 7 })).toMatchObject({ status: 400, body: { message: 'application churn-prod does not have deployment with id 7' } });
    expect(await call('POST', '/api/v1/applications/churn-prod/rollback', { id: 0, prune: true })).toMatchObject({ status: 200, body: { operation: { sync: { revision: first } } } });
    const rolledBack = await sim.waitFor('churn-prod', (app) => status(app).history.length === 3 && status(app).health.status === 'Healthy');
    expect(status(rolledBack).history.at(-1)).toMatchObject({ id: 2, revision: first });
    expect(status(rolledBack).sync).toMatchObject({ status: 'OutOfSync', revision: second });

    sim.setSyncWindowBlocked('churn-prod', true);
    expect(await call('POST', '/api/v1/applications/churn-prod/sync', {})).toMatchObject({ status: 403, body: { message: 'cannot sync: blocked by sync window' } });
    expect(sim.violations).toEqual([]);
  });

  it('lists by selector and project, creates apps late, and fails a stuck refresh at the deadline', async () => {
    const { sim, call } = await setup((bare): SimAppDefinition[] => [
      { name: 'a', repo: bare, path: 'envs/prod', labels: { team: 'ml', env: 'prod' } },
      { name: 'b', repo: bare, path: 'envs/prod', labels: { team: 'ml', env: 'staging' }, project: 'ml' },
      { name: 'c', repo: bare, path: 'envs/prod', labels: { team: 'web' }, stuck: true },
      { name: 'late', repo: bare, path: 'envs/prod', createAfterMs: 150, applicationSet: 'churn-set' },
      { name: 'parent', repo: bare, path: 'envs/prod', children: ['a', 'b'] },
    ]);
    const names = async (query: string) => ((await call('GET', `/api/v1/applications?${query}`)).body.items as AppObject[]).map((app) => app.metadata.name).sort();
    expect(await names('selector=team%3Dml')).toEqual(['a', 'b']);
    expect(await names('selector=team%3Dml,env%20notin%20(staging)')).toEqual(['a']);
    expect(await names('projects=ml&projects=other')).toEqual(['b']);
    expect((await call('GET', '/api/v1/applications?selector=%3D%3D')).status).toBe(400);
    expect((await call('GET', '/api/v1/applications/late')).status).toBe(403);
    const late = await sim.waitFor('late', () => true);
    expect(late.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ApplicationSet', name: 'churn-set' })]);
    const parent = await call('GET', '/api/v1/applications/parent');
    expect(parent.body.status.resources.filter((resource: { kind: string }) => resource.kind === 'Application').map((resource: { name: string }) => resource.name)).toEqual(['a', 'b']);
    const started = Date.now();
    expect(await call('GET', '/api/v1/applications/c?refresh=normal')).toMatchObject({ status: 500, body: { message: 'application refresh deadline exceeded' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sim.violations).toEqual([]);
  });

  it('streams events as JSON lines and as server-sent events, drops repeats, and cuts streams on demand', async () => {
    const { repo, sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }], { keepaliveMs: 30 });
    const events: { type: string; rv: string }[] = [];
    const response = await fetch(`${sim.url}/api/v1/stream/applications?name=churn-prod`, { headers: { authorization: `Bearer ${sim.token}` } });
    expect(response.headers.get('content-type')).toBe('application/json');
    const reader = (async () => {
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body!) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf('\n')) !== -1) {
            const event = JSON.parse(buffer.slice(0, newline)) as { result: { type: string; application: AppObject } };
            buffer = buffer.slice(newline + 1);
            events.push({ type: event.result.type, rv: event.result.application.metadata.resourceVersion });
          }
        }
      } catch {
        // cut by dropStreams
      }
      return 'ended';
    })();
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]!.type).toBe('ADDED');
    expect(sim.openStreams).toBe(1);
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).history.length === 2 && status(app).health.status === 'Healthy');
    await expect.poll(() => events.at(-1)?.rv).toBe(sim.app('churn-prod')!.metadata.resourceVersion);
    expect(events.slice(1).every((event) => event.type === 'MODIFIED')).toBe(true);
    const versions = events.map((event) => Number(event.rv));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);

    const sse = await fetch(`${sim.url}/api/v1/stream/applications?selector=`, { headers: { authorization: `Bearer ${sim.token}`, accept: 'text/event-stream' } });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    const sseReader = sse.body!.getReader();
    let text = '';
    while (!text.includes('\n:\n')) text += new TextDecoder().decode((await sseReader.read()).value);
    expect(text).toMatch(/^data: \{"result":\{"type":"ADDED"/);
    expect(sim.dropStreams()).toBe(2);
    await expect(reader).resolves.toBe('ended');
    await expect.poll(() => sim.openStreams).toBe(0);
    expect(sim.streamsOpened).toBe(2);
    expect(sim.violations).toEqual([]);
  });

  it('issues session tokens, and serves the running model version metrics', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }], {
      metrics: { churn: { '1': { accuracy: 0.9 }, '2': { accuracy: 0.93 } } },
    });
    expect(await call('POST', '/api/v1/session', { username: 'admin', password: 'wrong' })).toMatchObject({ status: 401 });
    expect(await call('POST', '/api/v1/session', { token: sim.token })).toMatchObject({ status: 401 });
    const session = await call('POST', '/api/v1/session', { username: 'admin', password: 'password' });
    expect(session.status).toBe(200);
    const withSession = await fetch(`${sim.url}/api/v1/applications/churn-prod`, { headers: { authorization: `Bearer ${session.body.token}` } });
    expect(withSession.status).toBe(200);
    const metrics = async () => (await fetch(`${new URL(sim.url).origin}/metrics`)).text();
    expect(await metrics()).toContain('model_accuracy{app="churn-prod",model="churn",version="1"} 0.9\n');
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).history.length === 2);
    expect(await metrics()).toContain('model_accuracy{app="churn-prod",model="churn",version="2"} 0.93\n');
    expect(sim.violations).toEqual([]);
  });

  it('runs as a command from a JSON config, printing its URL, and stops on SIGTERM', async () => {
    const repo = await createManifestRepo({ 'values.yaml': modelValues(5) });
    const dir = await tempDir('argocd-sim-');
    const config = path.join(dir, 'sim.json');
    await writeFile(config, JSON.stringify({ apps: [{ name: 'demo', repo: repo.bare }] }));
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'argocd-simulator', 'main.ts'), '--port', '0', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const { url, token } = JSON.parse(line) as { url: string; token: string };
    const app = (await (await fetch(`${url}/api/v1/applications/demo`, { headers: { authorization: `Bearer ${token}` } })).json()) as AppObject;
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: await repo.head() });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('Argo CD simulator: what Argo CD shows of the workload', () => {
  it('tracks the Deployment and Service of the chart a Helm-values folder is rendered with, the Deployment carrying the health and its message', async () => {
    const repo = await createManifestRepo({ 'envs/good/values.yaml': modelValues(3) });
    const sim = await startArgoCdSimulator({ ...fast, apps: [{ name: 'churn-good', repo: repo.bare, path: 'envs/good' }] });
    track(sim);
    expect(status(sim.app('churn-good')!).resources).toEqual([
      expect.objectContaining({ group: 'apps', kind: 'Deployment', namespace: 'churn-good', name: 'churn-good', health: { status: 'Healthy' } }),
      expect.objectContaining({ group: '', kind: 'Service', namespace: 'churn-good', name: 'churn-good', health: { status: 'Healthy' } }),
    ]);
    sim.markBad(4, 'readiness probe failed: model 4 cannot load');
    await repo.commit({ 'envs/good/values.yaml': modelValues(4) });
    await sim.refresh('churn-good');
    const degraded = await sim.waitFor('churn-good', (app) => status(app).health.status === 'Degraded');
    expect(status(degraded).resources).toContainEqual(
      expect.objectContaining({ kind: 'Deployment', name: 'churn-good', health: { status: 'Degraded', message: 'readiness probe failed: model 4 cannot load' } }),
    );
    const tree = (await (await fetch(`${sim.url}/api/v1/applications/churn-good/resource-tree`, { headers: { authorization: `Bearer ${sim.token}` } })).json()) as {
      nodes: Record<string, unknown>[];
    };
    expect(tree.nodes).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'churn-good', health: { status: 'Degraded', message: 'readiness probe failed: model 4 cannot load' } }));
    expect(sim.violations).toEqual([]);
  });

  it('serves apps without resource health when told (a tree cache miss), the resource tree still carrying it', async () => {
    const { repo, sim, call } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }], { appsWithoutResourceHealth: true });
    sim.markBad(2, 'readiness probe failed');
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': servingDeployment(2) });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Degraded');
    const app = await call('GET', '/api/v1/applications/churn-prod');
    expect(app.body.status.health.status).toBe('Degraded');
    expect(app.body.status.resources).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'churn-serving' }));
    expect(app.body.status.resources.every((resource: Record<string, unknown>) => resource.health === undefined)).toBe(true);
    const tree = await call('GET', '/api/v1/applications/churn-prod/resource-tree');
    expect(tree.body.nodes).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'churn-serving', health: { status: 'Degraded', message: 'readiness probe failed' } }));
    expect(sim.violations).toEqual([]);
  });

  it('aborts a canary Rollout: Degraded with the Rollout\'s abort message while sync stays Synced at the new commit, also after a pause', async () => {
    const { repo, sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    sim.markAborted(2);
    const second = await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': servingDeployment(2, 'churn-serving', 'Rollout') });
    await sim.refresh('churn-prod');
    const aborted = await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Degraded');
    expect(status(aborted).sync).toMatchObject({ status: 'Synced', revision: second });
    expect(status(aborted).operationState).toMatchObject({ phase: 'Succeeded' });
    expect(status(aborted).resources).toContainEqual(
      expect.objectContaining({
        group: 'argoproj.io',
        kind: 'Rollout',
        name: 'churn-serving',
        health: { status: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)' },
      }),
    );

    // A canary paused at a step (Suspended), then aborted by its analysis: the abort wins.
    sim.markSuspended(3, 'CanaryPauseStep');
    await repo.commit({ 'envs/prod/values.yaml': modelValues(3), 'envs/prod/serving.yaml': servingDeployment(3, 'churn-serving', 'Rollout') });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Suspended');
    sim.markAborted(3, 'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)');
    const abortedAfterPause = await sim.waitFor('churn-prod', (app) => status(app).health.status === 'Degraded');
    expect(status(abortedAfterPause).resources).toContainEqual(
      expect.objectContaining({ kind: 'Rollout', health: { status: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 3: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)' } }),
    );

    // A Deployment has no rollout to abort: the mark does not apply to it.
    sim.markAborted(4);
    await repo.commit({ 'envs/prod/values.yaml': modelValues(4), 'envs/prod/serving.yaml': servingDeployment(4) });
    await sim.refresh('churn-prod');
    await sim.waitFor('churn-prod', (app) => status(app).history.length === 4 && status(app).health.status === 'Healthy');
    expect(sim.violations).toEqual([]);
  });
});
