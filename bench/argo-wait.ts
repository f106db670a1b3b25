/**
 * wait-for-argo-sync's detection latency: the time from the Argo CD simulator making the last app ready (its health
 * turns Healthy at the pushed commit) to `waitForApplications` returning, and the requests made, for 1 and 50 apps,
 * beside a 5-second polling loop (what shell scripts and polling actions do: GET every app every 5 s) against the
 * same simulator in the same run.
 *
 * Each measurement: a new commit whose model version the simulator holds Suspended (a paused canary) is pushed and
 * every app is refreshed onto it, the waiter starts and sees the apps not ready yet; then the pause is lifted and the
 * apps turn Healthy. The polling loop's ready moment is spread evenly over its 5 s period, so its median is fair.
 *
 * Alone: `npm run bench -- argo-wait [--quick]` (or `node_modules/.bin/node bench/argo-wait.ts [--quick]`).
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createArgoCdClient, waitForApplications, type Application, type ArgoCdClient } from '../src/lib/argocd/index.ts';
import { markdownTable } from '../src/lib/report.ts';
import { createManifestRepo, modelValues, servingDeployment, startArgoCdSimulator, type AppObject, type ArgoCdSimulator, type ManifestRepo } from '../test/support/argocd-simulator/index.ts';
import { removeTempDirs } from '../test/support/git-repos.ts';

const POLL_INTERVAL_MS = 5_000;

export interface ArgoWaitBenchOptions {
  /** Measurements of ml-gitops per app count (default 7). */
  iterations?: number;
  /** Measurements of the polling loop per app count (default 3: each takes up to 5 s). */
  pollingIterations?: number;
  /** App counts (default 1 and 50). */
  appCounts?: readonly number[];
}

export interface ArgoWaitMeasure {
  apps: number;
  latenciesMs: number[];
  /** HTTP requests per wait (GET, list, stream opens). */
  requests: number[];
  /** Watch streams opened per wait. */
  streams: number[];
  /** TCP connections opened per wait. */
  connections: number[];
}

export interface ArgoWaitBenchResult {
  ours: ArgoWaitMeasure[];
  polling: ArgoWaitMeasure[];
  table: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const healthOf = (app: AppObject | Application): string | undefined => (app.status as { health?: { status?: string } } | undefined)?.health?.status;
const revisionOf = (app: AppObject | Application): string | undefined => (app.status as { sync?: { revision?: string } } | undefined)?.sync?.revision;

interface Bench {
  repo: ManifestRepo;
  sim: ArgoCdSimulator;
  names: string[];
  version: number;
}

async function startBench(apps: number): Promise<Bench> {
  const repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
  const names = Array.from({ length: apps }, (_, index) => `churn-${String(index).padStart(2, '0')}`);
  const sim = await startArgoCdSimulator({
    refreshDelayMs: 5,
    operationStartMs: 5,
    syncDurationMs: 20,
    progressingMs: 20,
    pollIntervalMs: 3_600_000,
    apps: names.map((name) => ({ name, repo: repo.bare, path: 'envs/prod', labels: { bench: 'argo-wait' } })),
  });
  return { repo, sim, names, version: 1 };
}

/** Pushes a new version held Suspended and brings every app onto it; answers the commit. */
async function pushHeld(bench: Bench): Promise<string> {
  bench.version += 1;
  const version = bench.version;
  bench.sim.markSuspended(version, 'CanaryPauseStep');
  const sha = await bench.repo.commit({ 'envs/prod/values.yaml': modelValues(version), 'envs/prod/serving.yaml': servingDeployment(version) }, `Bump to ${version}`);
  await Promise.all(bench.names.map((name) => bench.sim.refresh(name)));
  await Promise.all(bench.names.map((name) => bench.sim.waitFor(name, (app) => revisionOf(app) === sha && healthOf(app) === 'Suspended', 20_000)));
  return sha;
}

/** Lifts the pause; resolves with the time the LAST app turned Healthy at `sha`. */
function release(bench: Bench, sha: string): Promise<number> {
  const pending = new Set(bench.names);
  return new Promise((resolve) => {
    const stop = bench.sim.onUpdate((_type, app) => {
      if (revisionOf(app) !== sha || healthOf(app) !== 'Healthy' || !pending.delete(app.metadata.name)) return;
      if (pending.size === 0) {
        stop();
        resolve(performance.now());
      }
    });
    bench.sim.clearMarks(bench.version);
  });
}

function client(bench: Bench, counter: { requests: number }): ArgoCdClient {
  return createArgoCdClient({ server: bench.sim.url, authToken: bench.sim.token, onRequest: () => void (counter.requests += 1) });
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 2));
}

async function measureOurs(bench: Bench, iterations: number): Promise<ArgoWaitMeasure> {
  const measure: ArgoWaitMeasure = { apps: bench.names.length, latenciesMs: [], requests: [], streams: [], connections: [] };
  for (let index = 0; index < iterations; index++) {
    const sha = await pushHeld(bench);
    const counter = { requests: 0 };
    const argocd = client(bench, counter);
    const streamsBefore = bench.sim.streamsOpened;
    const connectionsBefore = bench.sim.connectionsOpened;
    const many = bench.names.length > 1;
    const waiting = waitForApplications(argocd, {
      applications: many ? [] : bench.names,
      selector: many ? 'bench=argo-wait' : undefined,
      revision: sha,
      timeoutMs: 60_000,
      log: { info: () => undefined },
    }).then((result) => ({ result, at: performance.now() }));
    // Released once the waiter has read every app and listens on its stream.
    await until(() => bench.sim.openStreams > 0);
    const readyAt = await release(bench, sha);
    const { result, at } = await waiting;
    if (result.result !== 'healthy') throw new Error(`the wait ended ${result.result}: ${result.failure ?? ''}`);
    measure.latenciesMs.push(at - readyAt);
    // The stream's own open counts once (onRequest sees it too).
    measure.requests.push(counter.requests);
    measure.streams.push(bench.sim.streamsOpened - streamsBefore);
    measure.connections.push(bench.sim.connectionsOpened - connectionsBefore);
    await argocd.close();
  }
  return measure;
}

/** GET every app every 5 s until all run `sha` Synced and Healthy with no operation: the shell-loop baseline. */
async function pollUntilReady(argocd: ArgoCdClient, names: readonly string[], sha: string, onFirstPoll: () => void): Promise<number> {
  for (let round = 0; ; round++) {
    const apps = await Promise.all(names.map((name) => argocd.get(name)));
    const ready = apps.every(
      (app) => revisionOf(app) === sha && app.status?.sync?.status === 'Synced' && healthOf(app) === 'Healthy' && app.operation === undefined,
    );
    if (ready) return performance.now();
    if (round === 0) onFirstPoll();
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function measurePolling(bench: Bench, iterations: number): Promise<ArgoWaitMeasure> {
  const measure: ArgoWaitMeasure = { apps: bench.names.length, latenciesMs: [], requests: [], streams: [], connections: [] };
  for (let index = 0; index < iterations; index++) {
    const sha = await pushHeld(bench);
    const counter = { requests: 0 };
    const connectionsBefore = bench.sim.connectionsOpened;
    const argocd = client(bench, counter);
    let firstPoll: () => void = () => undefined;
    const polled = new Promise<void>((resolve) => (firstPoll = resolve));
    const detected = pollUntilReady(argocd, bench.names, sha, () => firstPoll());
    await polled;
    // The ready moment falls evenly over the poll period across iterations.
    await new Promise((resolve) => setTimeout(resolve, ((index + 0.5) / iterations) * POLL_INTERVAL_MS));
    const readyAt = await release(bench, sha);
    measure.latenciesMs.push((await detected) - readyAt);
    measure.requests.push(counter.requests);
    measure.streams.push(0);
    measure.connections.push(bench.sim.connectionsOpened - connectionsBefore);
    await argocd.close();
  }
  return measure;
}

const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);

export async function runArgoWaitBench(options: ArgoWaitBenchOptions = {}): Promise<ArgoWaitBenchResult> {
  const ours: ArgoWaitMeasure[] = [];
  const polling: ArgoWaitMeasure[] = [];
  try {
    for (const apps of options.appCounts ?? [1, 50]) {
      const bench = await startBench(apps);
      try {
        ours.push(await measureOurs(bench, options.iterations ?? 7));
        polling.push(await measurePolling(bench, options.pollingIterations ?? 3));
        if (bench.sim.violations.length > 0) throw new Error(`simulator violations:\n${bench.sim.violations.join('\n')}`);
      } finally {
        await bench.sim.close();
      }
    }
  } finally {
    await removeTempDirs();
  }
  const rows = ours.map((measure, index) => {
    const peer = polling[index] as ArgoWaitMeasure;
    const ourMedian = median(measure.latenciesMs);
    const peerMedian = median(peer.latenciesMs);
    return [
      `wait-for-argo-sync: detection latency, ${measure.apps} app${measure.apps === 1 ? '' : 's'} (${measure.latenciesMs.length} runs)`,
      `median ${ms(ourMedian)} (max ${ms(Math.max(...measure.latenciesMs))}); ${median(measure.requests)} requests over ${median(measure.connections)} connection${median(measure.connections) === 1 ? '' : 's'}, ${Math.max(...measure.streams)} watch stream`,
      `5 s polling loop: median ${ms(peerMedian)} (${peer.latenciesMs.length} runs); ${median(peer.requests)} requests over ${median(peer.connections)} connection${median(peer.connections) === 1 ? '' : 's'}`,
      `**${(peerMedian / Math.max(ourMedian, 0.1)).toFixed(0)}x faster**`,
    ];
  });
  return { ours, polling, table: markdownTable(['benchmark', 'ml-gitops', 'peer', 'ratio'], rows) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const { table } = await runArgoWaitBench(quick ? { iterations: 3, pollingIterations: 2 } : {});
  console.log(table);
}
