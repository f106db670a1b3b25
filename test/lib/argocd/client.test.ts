import { afterAll, describe, expect, it } from 'vitest';
import {
  ArgoCdError,
  connectWithPassword,
  createArgoCdClient,
  parseArgoCdServer,
  type ArgoCdClient,
  type ArgoCdClientOptions,
  type WatchEvent,
} from '../../../src/lib/argocd/index.ts';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import {
  createManifestRepo,
  modelValues,
  startArgoCdSimulator,
  type ArgoCdSimulator,
  type ArgoCdSimulatorOptions,
  type ManifestRepo,
  type SimAppDefinition,
} from '../../support/argocd-simulator/index.ts';
import { trackSimulators } from '../../support/argocd-simulator/cleanup.ts';
import { removeTempDirs } from '../../support/git-repos.ts';

const { track, trackClient } = trackSimulators();
afterAll(removeTempDirs);

const inputs = { server: 'server', authToken: 'auth-token', caCert: 'ca-cert', insecure: 'insecure', appNamespace: 'app-namespace', project: 'project' };
const fast = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 20 };

async function setup(
  apps: (bare: string) => SimAppDefinition[],
  simOptions: ArgoCdSimulatorOptions = {},
  clientOptions: Partial<ArgoCdClientOptions> = {},
): Promise<{ repo: ManifestRepo; sim: ArgoCdSimulator; client: ArgoCdClient; requests: string[] }> {
  const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1) });
  const sim = await startArgoCdSimulator({ ...fast, ...simOptions, apps: apps(repo.bare) });
  track(sim);
  const requests: string[] = [];
  const client = createArgoCdClient({
    server: sim.url,
    authToken: sim.token,
    inputs,
    retry: { initialDelayMs: 5, jitterMs: 0 },
    onRequest: (method, path) => requests.push(`${method} ${path}`),
    ...clientOptions,
  });
  trackClient(client);
  return { repo, sim, client, requests };
}

async function failure(promise: Promise<unknown>): Promise<ArgoCdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArgoCdError);
  return error as ArgoCdError;
}

const cli = (error: UserError): string => renderInputRefs(error.message, 'cli');

describe('parseArgoCdServer', () => {
  it('reads addresses as the argocd CLI does', () => {
    expect(parseArgoCdServer('argocd.example.com').baseUrl).toBe('https://argocd.example.com/');
    expect(parseArgoCdServer('argocd.example.com:8443/argocd').baseUrl).toBe('https://argocd.example.com:8443/argocd/');
    expect(parseArgoCdServer('localhost:8080', { plaintext: true }).baseUrl).toBe('http://localhost:8080/');
    expect(parseArgoCdServer('https://argocd.example.com/argocd/').display).toBe('https://argocd.example.com/argocd');
    expect(parseArgoCdServer('http://127.0.0.1:9000').baseUrl).toBe('http://127.0.0.1:9000/');
    expect(() => parseArgoCdServer('ftp://x', { input: 'server' })).toThrow(UserError);
    expect(() => parseArgoCdServer('https://admin:pw@x', { input: 'server' })).toThrow(/credentials/);
    expect(() => parseArgoCdServer('  ', { input: 'server' })).toThrow(/empty/);
  });
});

describe('Argo CD client', () => {
  it('gets an app, and words a missing one as "not found or not permitted" (404 only with a project)', async () => {
    const { client, sim, repo } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const app = await client.get('churn-prod');
    expect(app.status?.sync).toMatchObject({ status: 'Synced', revision: await repo.head() });
    const missing = await failure(client.get('churn-staging'));
    expect(missing.reason).toBe('not-found-or-denied');
    expect(cli(missing)).toBe(
      `Argo CD at ${sim.url} has no application churn-staging or does not let the token of --auth-token see it (HTTP 403: permission denied) while reading application churn-staging; check the application name (and --app-namespace and --project) and the token's RBAC permissions.`,
    );
    expect((await failure(client.get('churn-staging', { project: 'default' }))).reason).toBe('not-found');
    expect(client.appUrl('churn-prod', 'argocd')).toBe(`${sim.url}/applications/argocd/churn-prod`);
  });

  it('rejects a bad token without printing it, and tells an HTML page from the API', async () => {
    const { sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }], { basePath: '/argocd' });
    const wrongToken = createArgoCdClient({ server: sim.url, authToken: 'not-the-token-s3cr3t', inputs });
    trackClient(wrongToken);
    const unauthenticated = await failure(wrongToken.get('churn-prod'));
    expect(unauthenticated.reason).toBe('unauthenticated');
    expect(cli(unauthenticated)).toBe(
      `Argo CD at ${sim.url} rejected the credentials while reading application churn-prod (HTTP 401: invalid session: token signature is invalid); check --auth-token.`,
    );
    expect(JSON.stringify(sim.requests)).not.toContain('s3cr3t');
    // The server without its root path answers the web UI.
    const root = new URL(sim.url).origin;
    const ui = createArgoCdClient({ server: root, authToken: sim.token, inputs });
    trackClient(ui);
    const html = await failure(ui.get('churn-prod'));
    expect(cli(html)).toBe(
      `There is no Argo CD API at ${root}: it answered an HTML page (text/html) while reading application churn-prod; check --server (the address of the API server, not of a web page, login page or proxy).`,
    );
    expect(html.message).not.toContain('<html');
  });

  it('refreshes to see a push at once, and falls back to a plain GET when the refresh hangs', async () => {
    const { client, repo, sim, requests } = await setup(
      (bare) => [
        { name: 'churn-prod', repo: bare, path: 'envs/prod' },
        { name: 'stuck', repo: bare, path: 'envs/prod', stuck: true },
      ],
      { refreshDeadlineMs: 150 },
    );
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    expect((await client.get('churn-prod')).status?.sync?.revision).not.toBe(pushed);
    expect((await client.get('churn-prod', { refresh: 'normal' })).status?.sync).toMatchObject({ status: 'OutOfSync', revision: pushed });

    const fallbacks: string[] = [];
    requests.length = 0;
    // The server's deadline (500) comes first here...
    await client.get('stuck', { refresh: 'hard', onRefreshFallback: (reason) => fallbacks.push(reason) });
    // ...and the client's own timeout there.
    await client.get('stuck', { refresh: 'normal', refreshTimeoutMs: 50, onRefreshFallback: (reason) => fallbacks.push(reason) });
    expect(fallbacks).toEqual(['application refresh deadline exceeded', expect.stringMatching(/^no answer within the time budget/)]);
    expect(requests).toEqual(Array(4).fill('GET api/v1/applications/stuck'));
    expect(sim.requests.filter((request) => request.query.refresh !== undefined)).toHaveLength(3);
  });

  it('lists by selector and projects', async () => {
    const { client } = await setup((bare) => [
      { name: 'a', repo: bare, path: 'envs/prod', labels: { model: 'churn' } },
      { name: 'b', repo: bare, path: 'envs/prod', labels: { model: 'churn' }, project: 'ml' },
      { name: 'c', repo: bare, path: 'envs/prod', labels: { model: 'fraud' }, project: 'ml' },
    ]);
    const names = (apps: { metadata: { name: string } }[]) => apps.map((app) => app.metadata.name).sort();
    expect(names(await client.list({ selector: 'model=churn' }))).toEqual(['a', 'b']);
    expect(names(await client.list({ projects: ['ml'] }))).toEqual(['b', 'c']);
    expect(names(await client.list({ selector: 'model=churn', projects: ['ml', 'other'] }))).toEqual(['b']);
    expect(await client.list({ selector: 'model=none' })).toEqual([]);
  });

  it('syncs a manual app with the exact Content-Type, and names the refusals', async () => {
    const { client, sim, repo } = await setup(
      (bare) => [
        { name: 'manual', repo: bare, path: 'envs/prod', automated: false },
        { name: 'auto', repo: bare, path: 'envs/prod' },
      ],
      { syncDurationMs: 300 },
    );
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    const started = await client.sync('manual', {
      revision: pushed,
      prune: true,
      syncOptions: ['ServerSideApply=true'],
      infos: [{ name: 'ml-gitops-run', value: 'r-1' }],
      retryStrategy: { limit: 2, backoff: { duration: '5s', factor: 2, maxDuration: '1m' } },
    });
    expect(started.operation).toMatchObject({ sync: { revision: pushed, prune: true, syncOptions: ['ServerSideApply=true'] }, info: [{ name: 'ml-gitops-run', value: 'r-1' }] });
    expect(sim.requests.at(-1)?.headers['content-type']).toBe('application/json');
    expect((await failure(client.sync('manual'))).reason).toBe('operation-in-progress');
    await sim.waitFor('manual', (app) => (app.status.operationState as { phase?: string } | undefined)?.phase === 'Running');
    await client.terminateOperation('manual');
    await sim.waitFor('manual', (app) => (app.status.operationState as { phase?: string } | undefined)?.phase === 'Failed');
    expect((await failure(client.terminateOperation('manual'))).reason).toBe('no-operation');

    const autoRevision = await failure(client.sync('auto', { revision: pushed }));
    expect(autoRevision.reason).toBe('auto-sync-revision');
    expect(autoRevision.message).toBe(`Argo CD at ${sim.url} refused syncing application auto to ${pushed} (HTTP 400: Cannot sync to ${pushed}: auto-sync currently set to main).`);
    sim.setSyncWindowBlocked('manual', true);
    expect((await failure(client.sync('manual'))).reason).toBe('sync-window');
  });

  it('rolls back by history id as a JSON number, and names the refusals', async () => {
    const { client, sim, repo } = await setup((bare) => [
      { name: 'manual', repo: bare, path: 'envs/prod', automated: false },
      { name: 'auto', repo: bare, path: 'envs/prod' },
    ]);
    const first = await repo.head();
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await client.get('manual', { refresh: 'normal' });
    await client.sync('manual');
    await sim.waitFor('manual', (app) => (app.status.history as unknown[]).length === 2 && (app.status.health as { status: string }).status === 'Healthy');
    expect((await failure(client.rollback('auto', { id: 0 }))).reason).toBe('auto-sync-enabled');
    expect((await failure(client.rollback('manual', { id: 9 }))).reason).toBe('unknown-history-id');
    const rolling = await client.rollback('manual', { id: 0, prune: true });
    expect(rolling.operation?.sync?.revision).toBe(first);
    await sim.waitFor('manual', (app) => (app.status.history as unknown[]).length === 3);
    // The folder holds only Helm values: Argo CD tracks what the chart renders from them.
    const tree = await client.resourceTree('manual');
    expect(tree.nodes?.map((node) => `${node.kind}/${node.name}`)).toEqual(['Deployment/manual', 'Service/manual']);
  });

  it('watches one app: the current state first, then changes, across a dropped stream, without repeats', async () => {
    const { client, sim, repo } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    const reconnects: string[] = [];
    const watching = (async () => {
      for await (const event of client.watch({ name: 'churn-prod' }, { signal: controller.signal, reconnectDelayMs: 20, onReconnect: (reason) => reconnects.push(reason) })) {
        events.push(event);
      }
    })();
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]!.type).toBe('ADDED');
    expect(sim.dropStreams()).toBe(1);
    await expect.poll(() => sim.openStreams).toBe(1);
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await sim.refresh('churn-prod');
    await expect.poll(() => events.some((event) => event.application.status?.sync?.revision === pushed && event.application.status?.health?.status === 'Healthy' && event.application.status?.history?.length === 2)).toBe(true);
    controller.abort();
    await watching;
    expect(reconnects).toHaveLength(1);
    const versions = events.map((event) => event.application.metadata.resourceVersion);
    expect(new Set(versions).size).toBe(versions.length);
    // The re-opened stream resumed from the last resourceVersion seen.
    const opens = sim.requests.filter((request) => request.route === 'GET /api/v1/stream/applications');
    expect(opens).toHaveLength(2);
    expect(opens[1]!.query.resourceVersion).toEqual([versions[0]]);
    await expect.poll(() => sim.openStreams).toBe(0);
  });

  it('watches many apps by selector over one server-sent-event stream, re-opening one that ends', async () => {
    const apps = Array.from({ length: 20 }, (_, index): SimAppDefinition => ({ name: `app-${index}`, repo: '', path: 'envs/prod', labels: { fleet: 'churn' } }));
    const { client, sim } = await setup((bare) => apps.map((app) => ({ ...app, repo: bare })), { keepaliveMs: 20 });
    const controller = new AbortController();
    const seen = new Set<string>();
    const watching = (async () => {
      for await (const event of client.watch({ selector: 'fleet=churn' }, { signal: controller.signal, format: 'sse', reconnectDelayMs: 10 })) seen.add(event.application.metadata.name);
    })();
    await expect.poll(() => seen.size).toBe(20);
    expect(sim.openStreams).toBe(1);
    sim.dropStreams();
    await expect.poll(() => sim.streamsOpened).toBe(2);
    controller.abort();
    await watching;
  });

  it('gets a session token for a user and password, and refuses wrong ones', async () => {
    const { sim } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const client = await connectWithPassword({ server: sim.url, username: 'admin', password: 'password', inputs });
    trackClient(client);
    expect((await client.get('churn-prod')).metadata.name).toBe('churn-prod');
    const wrong = await failure(connectWithPassword({ server: sim.url, username: 'admin', password: 'nope', inputs }));
    expect(wrong.reason).toBe('unauthenticated');
    expect(wrong.message).not.toContain('nope');
  });
});

describe('Argo CD client, streams and sources', () => {
  it('re-opens a stream after an in-band server error, and stops on an access error', async () => {
    const { client, sim, repo } = await setup((bare) => [{ name: 'churn-prod', repo: bare, path: 'envs/prod' }]);
    const controller = new AbortController();
    const reconnects: string[] = [];
    let events = 0;
    const watching = (async () => {
      for await (const _event of client.watch({ name: 'churn-prod' }, { signal: controller.signal, reconnectDelayMs: 10, onReconnect: (reason) => reconnects.push(reason) })) events += 1;
    })();
    await expect.poll(() => events).toBe(1);
    expect(sim.streamError('the API server is restarting')).toBe(1);
    await expect.poll(() => sim.streamsOpened).toBe(2);
    expect(reconnects).toEqual(['the stream reported: the API server is restarting']);
    // The current state sent again on the new stream is a repeat, and dropped.
    expect(events).toBe(1);
    await repo.commit({ 'envs/prod/values.yaml': modelValues(2) });
    await sim.refresh('churn-prod');
    await expect.poll(() => events).toBeGreaterThan(1);
    sim.streamError('permission denied', 403);
    const error = await watching.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArgoCdError);
    expect((error as ArgoCdError).message).toContain('permission denied');
    controller.abort();
  });

  it('syncs a multi-source app by source position, sending int64 positions as JSON numbers', async () => {
    const values = await createManifestRepo({ 'values.yaml': modelValues(1) });
    const { client, sim, repo } = await setup(
      (bare) => [{ name: 'multi', automated: false, sources: [{ repo: bare, path: 'envs/prod' }, { repo: values.bare, path: '.' }] }],
      {},
    );
    const app = await client.get('multi');
    expect(app.status?.sync?.revisions).toEqual([await repo.head(), await values.head()]);
    const newValues = await values.commit({ 'values.yaml': modelValues(2) });
    const started = await client.sync('multi', { revisions: [newValues], sourcePositions: [2] });
    expect(started.operation?.sync?.revisions).toEqual([await repo.head(), newValues]);
    const synced = await sim.waitFor('multi', (current) => (current.status.history as unknown[]).length === 2);
    // Source 2 follows main, which is now at newValues: deployed and target agree.
    expect(synced.status.sync).toMatchObject({ status: 'Synced', revisions: [await repo.head(), newValues] });
    expect(synced.status.operationState).toMatchObject({ syncResult: { revision: '', revisions: [await repo.head(), newValues] } });
  });
});
