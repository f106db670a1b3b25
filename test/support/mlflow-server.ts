/**
 * A real `mlflow server` for the tests: free loopback port, SQLite store and artifacts in a temporary directory,
 * ready when `/health` answers. The first start migrates an empty database (the slow part); a copy of the migrated
 * database is kept in the venv, keyed by the requirements hash, so later starts skip the migration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSync, closeSync } from 'node:fs';
import type { PythonVenv } from './python.ts';
import { freePort } from './ports.ts';

export interface MlflowServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The temporary directory holding the database, the artifacts and `server.log`. */
  dir: string;
  /** Milliseconds from spawn to a healthy `/health`. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartMlflowOptions {
  /** How long to wait for `/health` (default 120 s: a cold first start on a busy machine is slow). */
  timeoutMs?: number;
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok && (await response.text()).trim() === 'OK';
  } catch {
    return false;
  }
}

async function logTail(logFile: string): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Stops the server and the workers it spawned (they share its process group); the store is thrown away, so a
 * server slow to shut down is killed after a short grace period. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 3_000);
    }),
  ]);
  clearTimeout(timer);
  if (!killed) signal('SIGKILL');
  await exited(child);
}

export async function startMlflowServer(venv: PythonVenv, options: StartMlflowOptions = {}): Promise<MlflowServer> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-gitops-mlflow-'));
  const database = path.join(dir, 'mlflow.db');
  const template = path.join(venv.dir, `.ml-gitops-mlflow-${venv.requirementsHash.slice(0, 16)}.db`);
  const hadTemplate = existsSync(template);
  if (hadTemplate) await copyFile(template, database);
  await mkdir(path.join(dir, 'artifacts'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(
    venv.mlflow,
    [
      'server',
      '--host', '127.0.0.1',
      '--port', String(port),
      '--workers', '1',
      '--backend-store-uri', `sqlite:///${database}`,
      '--artifacts-destination', path.join(dir, 'artifacts'),
    ],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
      // The registry needs no background jobs; without the job runner the server starts and stops faster.
      env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
    },
  );
  closeSync(log);

  const stop = async (): Promise<void> => {
    await stopProcessGroup(child);
    await rm(dir, { recursive: true, force: true });
  };

  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let healthy = false;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    if (await isHealthy(url)) {
      healthy = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!healthy) {
    const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `was not healthy within ${timeoutMs} ms`;
    const tailText = await logTail(logFile);
    await stop();
    throw new Error(`mlflow server on ${url} ${why}; its log:\n${tailText}`);
  }
  if (!hadTemplate) {
    // The schema is migrated once the server answers; keep a copy so later runs start faster.
    const partial = `${template}.${process.pid}.tmp`;
    await copyFile(database, partial);
    await rename(partial, template);
  }
  return { url, dir, startupMs: Date.now() - started, stop };
}

/**
 * Talks to the server directly (plain fetch, no retries, no ml-gitops code) to seed data and to check what a test
 * left behind. Answers the parsed JSON; throws on a non-2xx answer.
 */
export async function mlflowApi<T = Record<string, unknown>>(
  url: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  payload: Record<string, string | number | unknown> = {},
): Promise<T> {
  const target = new URL(`${url}/api/2.0/mlflow/${path}`);
  if (method === 'GET') for (const [key, value] of Object.entries(payload)) target.searchParams.append(key, String(value));
  const response = await fetch(target, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(payload),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

/** Creates an experiment and a run with the given metric history; returns the run's id and artifact URI. */
export async function seedRun(
  url: string,
  metrics: { key: string; value: number; timestamp: number; step?: number }[],
): Promise<{ runId: string; artifactUri: string }> {
  const { experiment_id: experimentId } = await mlflowApi<{ experiment_id: string }>(url, 'POST', 'experiments/create', {
    name: `seed-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  });
  const { run } = await mlflowApi<{ run: { info: { run_id: string; artifact_uri: string } } }>(url, 'POST', 'runs/create', {
    experiment_id: experimentId,
    start_time: Date.now(),
  });
  await mlflowApi(url, 'POST', 'runs/log-batch', {
    run_id: run.info.run_id,
    metrics: metrics.map((metric) => ({ step: 0, ...metric })),
  });
  return { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
}
