/**
 * A REAL Prometheus server for the tests (no stand-in), plus "the model serving its metrics": a tiny endpoint whose
 * values the test sets at any time, which Prometheus scrapes every second.
 *
 * The binary comes from PATH (or /usr/bin/prometheus, Debian's package). When it is missing and we are root with
 * apt-get, Debian's `prometheus` package is installed (one package, about 10 s); the package's own service is kept
 * from starting (policy-rc.d), since every test starts its own process on a free port with its own temporary TSDB.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, writeFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { listenOnLoopback, stopProcess, waitUntilUp } from './process.ts';

const run = promisify(execFile);

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The temporary directory holding the config, the TSDB and `prometheus.log`. */
  dir: string;
  /**
   * A directory of file_sd files Prometheus watches (`*.json`), so that a Prometheus shared by a test run can scrape
   * endpoints that test files start later, from any process: see `registerTarget`. Prometheus applies discovered
   * targets within about 5 s.
   */
  targetsDir: string;
  /** Adds scrape targets (`host:port`) from this process; the answer removes them again. */
  addTargets(targets: readonly string[]): Promise<() => Promise<void>>;
  /** Milliseconds from spawn to a 200 from `/-/ready`. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** `host:port` of endpoints serving `/metrics`, scraped from the start (static_configs). */
  targets?: readonly string[];
  /** Default 1. */
  scrapeIntervalSeconds?: number;
  /** How long to wait for `/-/ready` (default 30 s). */
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Finding (or installing) the binary
// ---------------------------------------------------------------------------------------------------------------

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The prometheus binary already on this machine (PATH, or Debian's /usr/bin/prometheus), without installing anything. */
export function prometheusBinary(): string | undefined {
  return findOnPath('prometheus') ?? (isExecutable('/usr/bin/prometheus') ? '/usr/bin/prometheus' : undefined);
}

const POLICY_RC = '/usr/sbin/policy-rc.d';

/** Installs Debian's package without letting its service start (we never use it: it would hold port 9090). */
async function aptInstallPrometheus(): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<unknown> =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env, maxBuffer: 64 * 1024 * 1024 });
  // invoke-rc.d asks policy-rc.d whether a package may start its service; 101 means "no".
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\n# Written by ml-gitops tests while installing prometheus.\nexit 101\n', { mode: 0o755 });
  try {
    try {
      await install();
    } catch {
      // A fresh machine has no package lists yet: update once, then try again.
      await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
      await install();
    }
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
}

let ensured: Promise<string> | undefined;

/** The path of the prometheus binary, installing Debian's package when needed and possible. */
export function ensurePrometheus(): Promise<string> {
  ensured ??= (async () => {
    const found = prometheusBinary();
    if (found !== undefined) return found;
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && findOnPath('apt-get') !== undefined) {
      try {
        await aptInstallPrometheus();
      } catch (error) {
        const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') ?? String(error);
        throw new Error(`Installing Debian's prometheus package failed (${detail}); install it with "apt-get install prometheus" or put a prometheus binary on PATH.`, { cause: error });
      }
      const installed = prometheusBinary();
      if (installed !== undefined) return installed;
    }
    throw new Error('The tests need a real Prometheus server: install it with "apt-get install prometheus" (Debian/Ubuntu, as root) or put a prometheus binary (2.x or later) on PATH.');
  })();
  return ensured;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a server
// ---------------------------------------------------------------------------------------------------------------

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function prometheusConfig(targets: readonly string[], targetsDir: string, intervalSeconds: number): string {
  // JSON is YAML: no YAML library needed to write the config.
  const config = {
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    scrape_configs: [
      {
        job_name: 'model',
        static_configs: targets.length > 0 ? [{ targets }] : [],
        file_sd_configs: [{ files: [path.join(targetsDir, '*.json')], refresh_interval: '1s' }],
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

let registrations = 0;

/**
 * Makes the Prometheus whose `targetsDir` this is scrape `targets` too (one file of its own per call, so test files in
 * parallel processes never overwrite each other's); the answer removes them again.
 */
export async function registerTarget(targetsDir: string, targets: readonly string[]): Promise<() => Promise<void>> {
  const file = path.join(targetsDir, `${process.pid}-${++registrations}.json`);
  // Atomic: Prometheus must never read half a file (and ignores the .tmp name).
  const partial = `${file}.tmp`;
  await writeFile(partial, `${JSON.stringify([{ targets }])}\n`);
  await rename(partial, file);
  return () => rm(file, { force: true });
}

/** Starts a Prometheus on a free loopback port with a temporary TSDB; `stop()` ends it and removes the directory. */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = await ensurePrometheus();
  const started = Date.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-gitops-prometheus-'));
  const targetsDir = path.join(dir, 'targets');
  await mkdir(targetsDir);
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig(options.targets ?? [], targetsDir, options.scrapeIntervalSeconds ?? 1));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'prometheus.log');
  const log = openSync(logFile, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      // The tests' series are fresh: a short lookback makes a metric that stopped being served read "no data" soon.
      '--query.lookback-delta=30s',
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', log, log] },
  );
  closeSync(log);

  const stop = async (): Promise<void> => {
    await stopProcess(child, { graceMs: 5_000 });
    await rm(dir, { recursive: true, force: true });
  };

  await waitUntilUp(child, () => isReady(url), {
    what: `prometheus on ${url}`,
    timeoutMs: options.timeoutMs ?? 30_000,
    intervalMs: 100,
    logFile,
    stop,
  });
  return {
    url,
    dir,
    targetsDir,
    addTargets: (targets) => registerTarget(targetsDir, targets),
    startupMs: Date.now() - started,
    stop,
  };
}

/**
 * Plain fetch of `GET /api/v1/query` (no ml-gitops code), to wait for a series or check what Prometheus holds.
 * Answers the `data.result` array of an instant vector query.
 */
export async function instantQuery(url: string, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error ?? response.status}`);
  if (body.data?.resultType !== 'vector') throw new Error(`query ${query} returned a ${body.data?.resultType}, not a vector`);
  return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
}

/** Waits until `query` returns at least one sample (the first scrape of a new series), at most `timeoutMs`. */
export async function waitForSeries(url: string, query: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await instantQuery(url, query)).length > 0) return;
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} had no data for ${query} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The model's metrics endpoint
// ---------------------------------------------------------------------------------------------------------------

export type Labels = Readonly<Record<string, string>>;

export interface MetricsEndpoint {
  /** `127.0.0.1:<port>`, what Prometheus's `targets` take. */
  target: string;
  /** `http://127.0.0.1:<port>/metrics` */
  url: string;
  /** Sets (or adds) the gauge `name` with these labels; NaN and ±Infinity are written as Prometheus spells them. */
  set(name: string, labels: Labels, value: number): void;
  /** Stops serving the series (Prometheus marks it stale on its next scrape), or every series of `name`. */
  remove(name: string, labels?: Labels): void;
  /** How many times `/metrics` was scraped. */
  readonly scrapes: number;
  close(): Promise<void>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}="${(labels[key] ?? '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** A node:http server serving the Prometheus text format (0.0.4) at `/metrics`. */
export async function startMetricsEndpoint(): Promise<MetricsEndpoint> {
  const gauges = new Map<string, Map<string, number>>();
  let scrapes = 0;
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    scrapes += 1;
    const lines: string[] = [];
    for (const [name, series] of gauges) {
      if (series.size === 0) continue;
      lines.push(`# TYPE ${name} gauge`);
      for (const [key, value] of series) lines.push(`${name}${key === '' ? '' : `{${key}}`} ${formatValue(value)}`);
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(`${lines.join('\n')}\n`);
  });
  const { port, url, close } = await listenOnLoopback(server);
  return {
    target: `127.0.0.1:${port}`,
    url: `${url}/metrics`,
    set(name, labels, value) {
      if (!METRIC_NAME.test(name)) throw new Error(`"${name}" is not a valid Prometheus metric name`);
      for (const key of Object.keys(labels)) if (!LABEL_NAME.test(key)) throw new Error(`"${key}" is not a valid Prometheus label name`);
      let series = gauges.get(name);
      if (series === undefined) gauges.set(name, (series = new Map()));
      series.set(labelKey(labels), value);
    },
    remove(name, labels) {
      if (labels === undefined) gauges.delete(name);
      else gauges.get(name)?.delete(labelKey(labels));
    },
    get scrapes() {
      return scrapes;
    },
    close,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A Mimir-style tenant gateway in front of Prometheus
// ---------------------------------------------------------------------------------------------------------------

export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TenantGateway {
  url: string;
  /** Every request received, headers included, in order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Forwards to Prometheus what a multi-tenant Mimir would accept: a request without `X-Scope-OrgID` is refused with
 * 401 "no org id", as Mimir's gateway does, and with `bearerToken` set, one without that bearer token gets 401 too.
 */
export async function startTenantGateway(targetUrl: string, options: { bearerToken?: string } = {}): Promise<TenantGateway> {
  const target = new URL(targetUrl);
  const requests: RecordedRequest[] = [];
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    if (options.bearerToken !== undefined && request.headers.authorization !== `Bearer ${options.bearerToken}`) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
      request.resume();
      return;
    }
    if (request.headers['x-scope-orgid'] === undefined) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('no org id\n');
      request.resume();
      return;
    }
    const headers = { ...request.headers, host: target.host };
    delete headers.authorization;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    requests,
    close,
  };
}
