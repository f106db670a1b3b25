/**
 * Vitest global setup: ONE real MLflow server per test run (venv created or reused first), its URL handed to the
 * tests with `inject('mlflowUrl')`. Set ML_GITOPS_MLFLOW_URL to use a server you run yourself instead.
 */
import type { TestProject } from 'vitest/node';
import { startMlflowServer, type MlflowServer } from './mlflow-server.ts';
import { ensurePythonVenv } from './python.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the MLflow server shared by the run. */
    mlflowUrl: string;
  }
}

let server: MlflowServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.ML_GITOPS_MLFLOW_URL;
  if (external !== undefined && external !== '') {
    project.provide('mlflowUrl', external.replace(/\/+$/, ''));
    return;
  }
  const venvStarted = Date.now();
  const venv = await ensurePythonVenv();
  const venvMs = Date.now() - venvStarted;
  server = await startMlflowServer(venv);
  console.log(`MLflow server ${server.url} ready in ${server.startupMs} ms (venv check ${venvMs} ms)`);
  project.provide('mlflowUrl', server.url);
}

export async function teardown(): Promise<void> {
  if (server === undefined) return;
  const stopping = Date.now();
  await server.stop();
  console.log(`MLflow server stopped in ${Date.now() - stopping} ms`);
  server = undefined;
}
