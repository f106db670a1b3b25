/**
 * register-model against an MLflow stand-in, for what a real server will not do on demand: a version that stays
 * PENDING_REGISTRATION or fails, credentials refused with 401/403, and a server that is not there at all.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { parseInputs } from '../../../src/lib/command.ts';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { IDEMPOTENCY_KEY_TAG } from '../../../src/lib/registry/tags.ts';
import { testContext } from '../../support/context.ts';
import { startMlflowStandIn, type StandIn } from '../../support/mlflow-stand-in.ts';

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function failure(raw: Record<string, string>, env: Record<string, string> = {}): Promise<{ error: UserError; secrets: string[] }> {
  const ctx = testContext({ env, workspace: process.cwd() });
  const error = await (async () => {
    const inputs = parseInputs(registerModel, (name) => raw[name], ctx.setSecret);
    await registerModel.run(inputs, ctx);
  })().catch((e: unknown) => { throw e instanceof UserError ? new UserError(renderInputRefs(e.message, 'action'), { input: e.input }) : e; }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).message).not.toMatch(/\n/);
  return { error: error as UserError, secrets: ctx.secrets };
}

const base = { 'model-name': 'churn', source: 's3://bucket/churn/model', 'request-timeout': '5' };

describe('register-model against an MLflow stand-in', () => {
  it('times out waiting for READY, polls with get, and sets no alias', async () => {
    standIn = await startMlflowStandIn({ versionStatus: 'PENDING_REGISTRATION' });
    const { error } = await failure({ ...base, 'registry-uri': standIn.url, 'wait-timeout': '0.7', alias: 'challenger' });
    expect(error.message).toMatch(/^Version 1 of model "churn" was still PENDING_REGISTRATION after 0\.7 s: raise input "wait-timeout"/);
    expect(error.input).toBe('wait-timeout');
    const routes = standIn.requests.map((r) => `${r.method} ${r.path}`);
    expect(routes.slice(0, 3)).toEqual(['POST registered-models/create', 'GET model-versions/search', 'POST model-versions/create']);
    expect(routes.slice(3).length).toBeGreaterThanOrEqual(1);
    expect(new Set(routes.slice(3))).toEqual(new Set(['GET model-versions/get']));
    const create = standIn.requests[2]?.body as { name: string; source: string; tags: { key: string; value: string }[] };
    expect(create).toMatchObject({ name: 'churn', source: base.source });
    expect(create.tags.some((tag) => tag.key === IDEMPOTENCY_KEY_TAG)).toBe(true);
  });

  it('reports MLflow\'s status message when the registration fails', async () => {
    standIn = await startMlflowStandIn({ versionStatus: 'FAILED_REGISTRATION', statusMessage: 'Artifact not found at s3://bucket' });
    const { error } = await failure({ ...base, 'registry-uri': standIn.url });
    expect(error.message).toMatch(/failed to register version 1 of model "churn": Artifact not found at s3:\/\/bucket; /);
  });

  it.each([401, 403] as const)('names the credential inputs and variables on %i, and masks the token', async (status) => {
    standIn = await startMlflowStandIn({ refuseWith: status });
    const { error, secrets } = await failure({ ...base, 'registry-uri': standIn.url, 'registry-token': 'tok-123' });
    expect(error.message).toMatch(/registry-token.*MLFLOW_TRACKING_TOKEN.*registry-username.*MLFLOW_TRACKING_USERNAME/);
    expect(error.message).not.toContain('tok-123');
    expect(secrets).toContain('tok-123');
    expect(standIn.requests[0]?.authorization).toBe('Bearer tok-123');
  });

  it('sends Basic credentials from the environment', async () => {
    standIn = await startMlflowStandIn({ refuseWith: 401 });
    const { secrets } = await failure(
      { ...base, 'registry-uri': standIn.url },
      { MLFLOW_TRACKING_USERNAME: 'ci', MLFLOW_TRACKING_PASSWORD: 'pw-9' },
    );
    expect(standIn.requests[0]?.authorization).toBe(`Basic ${Buffer.from('ci:pw-9').toString('base64')}`);
    expect(secrets).toContain('pw-9');
  });

  it('says which URL was unreachable and what the network said', async () => {
    const port = await closedPort();
    const { error } = await failure({ ...base, 'registry-uri': `http://127.0.0.1:${port}`, 'request-timeout': '1' });
    expect(error.message).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}.*connection refused`));
    expect(error.input).toBe('registry-uri');
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
