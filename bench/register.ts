/**
 * Requests per registration: one `register-model` registration (with an alias), then the same registration again (a
 * re-run that reuses the version), against a real MLflow server and against the file registry. Counts every HTTP
 * attempt by kind (create-model, search, create-version, get, alias, set-tag) for MLflow, and every registry
 * operation by the same kinds for the file registry (each one a file read or a locked read-modify-write), with the
 * wall time of each registration. Prints a markdown table.
 *
 * Starts its own MLflow server from the test venv (test/support/mlflow-server.ts), or uses ML_GITOPS_MLFLOW_URL.
 * Standalone: `node_modules/.bin/node bench/register.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { planRegistration } from '../src/commands/register-model/plan.ts';
import { registerVersion } from '../src/commands/register-model/register.ts';
import { createFileRegistry } from '../src/lib/registry/file.ts';
import { openRegistry } from '../src/lib/registry/index.ts';
import type { ModelRegistry } from '../src/lib/registry/types.ts';
import { markdownTable } from '../src/lib/report.ts';
import { seedRun, startMlflowServer, type MlflowServer } from '../test/support/mlflow-server.ts';
import { ensurePythonVenv } from '../test/support/python.ts';

export const REQUEST_KINDS = ['create-model', 'search', 'create-version', 'get', 'alias', 'set-tag', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export type RequestCounts = Record<RequestKind, number>;

export interface RegistrationMeasure {
  counts: RequestCounts;
  total: number;
  wallMs: number;
  created: boolean;
}

export interface RegisterBenchResult {
  mlflow: { first: RegistrationMeasure; rerun: RegistrationMeasure; serverUrl: string };
  file: { first: RegistrationMeasure; rerun: RegistrationMeasure };
  table: string;
}

const ENV = {
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REPOSITORY: 'acme/churn',
  GITHUB_RUN_ID: '1',
  GITHUB_ACTOR: 'bench',
  GITHUB_EVENT_NAME: 'push',
};

/** The kind of an MLflow REST path (relative to /api/2.0/mlflow/). */
export function kindOfPath(apiPath: string): RequestKind {
  switch (apiPath) {
    case 'registered-models/create':
      return 'create-model';
    case 'model-versions/search':
      return 'search';
    case 'model-versions/create':
      return 'create-version';
    case 'model-versions/get':
      return 'get';
    case 'registered-models/alias':
      return 'alias';
    case 'model-versions/set-tag':
      return 'set-tag';
    default:
      return 'other';
  }
}

const KIND_OF_OPERATION: Record<string, RequestKind> = {
  ensureModel: 'create-model',
  findVersionByTag: 'search',
  listVersions: 'search',
  createVersion: 'create-version',
  getVersion: 'get',
  getAlias: 'get',
  setAlias: 'alias',
  deleteAlias: 'alias',
  setTags: 'set-tag',
  getVersionMetrics: 'other',
};

function emptyCounts(): RequestCounts {
  return Object.fromEntries(REQUEST_KINDS.map((kind) => [kind, 0])) as RequestCounts;
}

/** Counts the registry operations made through `registry` into `counts`. */
function countingRegistry(registry: ModelRegistry, counts: { current: RequestCounts }): ModelRegistry {
  return new Proxy(registry, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const kind = typeof property === 'string' ? KIND_OF_OPERATION[property] : undefined;
      if (typeof value !== 'function' || kind === undefined) return value;
      return (...args: unknown[]) => {
        counts.current[kind] += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function measure(
  registry: ModelRegistry,
  counts: { current: RequestCounts },
  registration: { name: string; source: string; runId: string | undefined },
): Promise<RegistrationMeasure> {
  counts.current = emptyCounts();
  const plan = planRegistration(
    { modelName: registration.name, source: registration.source, runId: registration.runId, modelId: undefined, tags: ['team=bench'], description: undefined, alias: 'challenger' },
    ENV,
    undefined,
  );
  const started = performance.now();
  const result = await registerVersion(registry, plan, { waitTimeoutMs: 60_000, allowRolledBack: false });
  const wallMs = performance.now() - started;
  const snapshot = { ...counts.current };
  return { counts: snapshot, total: Object.values(snapshot).reduce((a, b) => a + b, 0), wallMs, created: result.created };
}

export async function runRegisterBench(): Promise<RegisterBenchResult> {
  const external = process.env.ML_GITOPS_MLFLOW_URL?.replace(/\/+$/, '');
  let server: MlflowServer | undefined;
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'bench-register-'));
  try {
    if (external === undefined || external === '') server = await startMlflowServer(await ensurePythonVenv());
    const serverUrl = external || server!.url;
    const run = await seedRun(serverUrl, [{ key: 'f1', value: 0.9, timestamp: Date.now() }]);

    const mlflowCounts = { current: emptyCounts() };
    const mlflow = openRegistry({
      uri: serverUrl,
      env: {},
      workspace,
      setSecret: () => undefined,
      onRequest: (_method, apiPath) => void (mlflowCounts.current[kindOfPath(apiPath)] += 1),
    });
    // A fresh model name per bench run keeps a shared external server from turning the first run into a re-run.
    const onMlflow = { name: `bench-churn-${Date.now().toString(36)}`, source: `${run.artifactUri}/model`, runId: run.runId };
    const mlflowFirst = await measure(mlflow, mlflowCounts, onMlflow);
    const mlflowRerun = await measure(mlflow, mlflowCounts, onMlflow);

    const fileCounts = { current: emptyCounts() };
    const file = countingRegistry(createFileRegistry({ directory: path.join(workspace, 'registry') }), fileCounts);
    const onFile = { name: 'bench-churn', source: 's3://bench/churn/model', runId: undefined };
    const fileFirst = await measure(file, fileCounts, onFile);
    const fileRerun = await measure(file, fileCounts, onFile);

    const row = (registry: string, label: string, m: RegistrationMeasure): string[] => [
      registry,
      `${label} (${m.created ? 'created' : 'reused'})`,
      ...REQUEST_KINDS.map((kind) => String(m.counts[kind])),
      String(m.total),
      m.wallMs.toFixed(1),
    ];
    const table = markdownTable(
      ['registry', 'registration', ...REQUEST_KINDS, 'total', 'wall ms'],
      [
        row('MLflow (HTTP requests)', 'first', mlflowFirst),
        row('MLflow (HTTP requests)', 're-run', mlflowRerun),
        row('file (operations)', 'first', fileFirst),
        row('file (operations)', 're-run', fileRerun),
      ],
    );
    return { mlflow: { first: mlflowFirst, rerun: mlflowRerun, serverUrl }, file: { first: fileFirst, rerun: fileRerun }, table };
  } finally {
    await server?.stop();
    await rm(workspace, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runRegisterBench();
  console.log(result.table);
}
