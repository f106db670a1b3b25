/**
 * A real `mlflow server` for the tests: free loopback port, SQLite store and artifacts in a temporary directory,
 * ready when `/health` answers. The first start migrates an empty database (the slow part); a copy of the migrated
 * database is kept in the venv, keyed by the requirements hash, so later starts skip the migration.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSync, closeSync } from 'node:fs';
import type { PythonVenv } from './python.ts';
import { freePort } from './ports.ts';
import { stopProcess, waitUntilUp } from './process.ts';

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
    // The workers share the server's process group.
    await stopProcess(child, { group: true });
    await rm(dir, { recursive: true, force: true });
  };

  await waitUntilUp(child, () => isHealthy(url), {
    what: `mlflow server on ${url}`,
    timeoutMs: options.timeoutMs ?? 120_000,
    intervalMs: 200,
    logFile,
    stop,
  });
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
