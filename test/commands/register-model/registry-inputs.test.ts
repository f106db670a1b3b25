/**
 * The registry inputs' environment fallbacks (MLFLOW_TRACKING_URI, _TOKEN, _USERNAME, _PASSWORD), declared on the
 * inputs and applied by parseInputs, as a user meets them through register-model; and the rule that Basic auth needs
 * both halves. The lib itself reads no environment (test/lib/registry/target.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { startMlflowStandIn, type StandIn } from '../../support/mlflow-stand-in.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

const base = { 'model-name': 'churn', source: 's3://bucket/churn/model', 'request-timeout': '5' };
const env = { GITHUB_SHA: 'abc123' };

let workspace: string;
let standIn: StandIn | undefined;
beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'registry-inputs-'));
});
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
  await rm(workspace, { recursive: true, force: true });
});

describe('registry inputs from the environment', () => {
  it('reads MLFLOW_TRACKING_URI when registry-uri is empty, and the input wins over it', async () => {
    await runCommand(registerModel, base, { env: { ...env, MLFLOW_TRACKING_URI: 'env-reg' }, workspace });
    expect(await createFileRegistry({ directory: path.join(workspace, 'env-reg') }).getVersion('churn', '1')).toBeDefined();
    await runCommand(registerModel, { ...base, 'registry-uri': 'input-reg' }, { env: { ...env, MLFLOW_TRACKING_URI: 'env-reg' }, workspace });
    expect(await createFileRegistry({ directory: path.join(workspace, 'input-reg') }).getVersion('churn', '1')).toBeDefined();
  });

  it('refuses a server address written without http(s):// instead of creating a file registry named after it', async () => {
    const error = await commandError(registerModel, { ...base, 'registry-uri': 'mlflow.example.com' }, { env, workspace, style: 'cli' });
    expect(error.message).toBe(
      '--registry-uri "mlflow.example.com" looks like a server\'s address, but without http(s):// it names a file registry directory, and none exists there; write https://mlflow.example.com for an MLflow server, or ./mlflow.example.com to create a file registry.',
    );
    expect(error.input).toBe('registry-uri');
    // Written as a directory, the same name is a file registry.
    await runCommand(registerModel, { ...base, 'registry-uri': './mlflow.example.com' }, { env, workspace });
    expect(await createFileRegistry({ directory: path.join(workspace, 'mlflow.example.com') }).getVersion('churn', '1')).toBeDefined();
  });

  it('names MLFLOW_TRACKING_URI when the unsupported scheme comes from it', async () => {
    const error = await commandError(registerModel, base, { env: { MLFLOW_TRACKING_URI: 'sqlite:///mlflow.db' }, workspace });
    expect(error.message).toBe(
      'The environment variable MLFLOW_TRACKING_URI (read because input "registry-uri" is empty) names a registry ml-gitops does not support ("sqlite:"); use an http(s):// MLflow tracking server URL, a file://<dir> URI, or a directory path relative to the workspace (got "sqlite:///mlflow.db").',
    );
    expect(error.input).toBe('registry-uri');
    const cli = await commandError(registerModel, { ...base, 'registry-uri': 's3://bucket/reg' }, { workspace, style: 'cli' });
    expect(cli.message).toMatch(/^--registry-uri names a registry ml-gitops does not support \("s3:"\)/);
  });

  it('sends MLFLOW_TRACKING_TOKEN as a Bearer token; the input wins over it', async () => {
    standIn = await startMlflowStandIn({ refuseWith: 401 });
    await commandError(registerModel, { ...base, 'registry-uri': standIn.url }, { env: { MLFLOW_TRACKING_TOKEN: 'env-tok' }, workspace });
    expect(standIn.requests.at(-1)?.authorization).toBe('Bearer env-tok');
    await commandError(registerModel, { ...base, 'registry-uri': standIn.url, 'registry-token': 'in-tok' }, { env: { MLFLOW_TRACKING_TOKEN: 'env-tok' }, workspace });
    expect(standIn.requests.at(-1)?.authorization).toBe('Bearer in-tok');
  });

  it('refuses half a user/password pair before any request, whether from inputs or the environment', async () => {
    standIn = await startMlflowStandIn();
    const fromEnv = await commandError(registerModel, { ...base, 'registry-uri': standIn.url }, { env: { MLFLOW_TRACKING_PASSWORD: 'p' }, workspace });
    expect(fromEnv.message).toBe(
      'Input "registry-password" is set but input "registry-username" is not; set input "registry-username" and input "registry-password" together (MLflow Basic auth needs both).',
    );
    expect(fromEnv.input).toBe('registry-username');
    const fromInput = await commandError(registerModel, { ...base, 'registry-uri': standIn.url, 'registry-username': 'u' }, { workspace, style: 'cli' });
    expect(fromInput.message).toMatch(/^--registry-username is set but --registry-password is not/);
    expect(standIn.requests).toEqual([]);
  });
});
