/**
 * register-model against an MLflow stand-in, for what a real server will not do on demand: a version that stays
 * PENDING_REGISTRATION or fails, credentials refused with 401/403, and a server that is not there at all.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import type { UserError } from '../../../src/lib/errors.ts';
import { IDEMPOTENCY_KEY_TAG } from '../../../src/lib/registry/tags.ts';
import { startMlflowStandIn, type StandIn } from '../../support/mlflow-stand-in.ts';
import { commandError } from '../../support/run-command.ts';

let standIn: StandIn | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function failure(raw: Record<string, string>, env: Record<string, string> = {}): Promise<{ error: UserError }> {
  const error = await commandError(registerModel, raw, { env, workspace: process.cwd() });
  // One sentence: no line breaks, no page dumped into it.
  expect(error.message).not.toMatch(/\n/);
  expect(error.message).not.toMatch(/<html|<!doctype|<title/i);
  return { error };
}

/** A server that is not MLflow: answers every request with `status` and an HTML page, or never answers. */
async function startWebServer(answer: { status: number; html: string } | 'silent'): Promise<string> {
  server = http.createServer((request, response) => {
    request.resume();
    if (answer === 'silent') return;
    response.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8' });
    response.end(answer.html);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
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

  it.each([401, 403] as const)('names the credential inputs and variables on %i, without the token', async (status) => {
    standIn = await startMlflowStandIn({ refuseWith: status });
    const { error } = await failure({ ...base, 'registry-uri': standIn.url, 'registry-token': 'tok-123' });
    expect(error.message).toMatch(/input "registry-token".*MLFLOW_TRACKING_TOKEN.*input "registry-username".*MLFLOW_TRACKING_USERNAME/);
    expect(error.message).not.toContain('tok-123');
    expect(standIn.requests[0]?.authorization).toBe('Bearer tok-123');
  });

  it('sends Basic credentials from the environment', async () => {
    standIn = await startMlflowStandIn({ refuseWith: 401 });
    await failure({ ...base, 'registry-uri': standIn.url }, { MLFLOW_TRACKING_USERNAME: 'ci', MLFLOW_TRACKING_PASSWORD: 'pw-9' });
    expect(standIn.requests[0]?.authorization).toBe(`Basic ${Buffer.from('ci:pw-9').toString('base64')}`);
  });

  it('says which URL was unreachable and what the network said', async () => {
    const port = await closedPort();
    const { error } = await failure({ ...base, 'registry-uri': `http://127.0.0.1:${port}`, 'request-timeout': '1' });
    expect(error.message).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}.*connection refused`));
    expect(error.input).toBe('registry-uri');
  });

  // Issue 9 item 7: a wrong path prefix dumped the server's 404 page into the error.
  it('says there is no MLflow API at a URL whose server answers 404 with a web page', async () => {
    const url = await startWebServer({ status: 404, html: '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>' });
    const { error } = await failure({ ...base, 'registry-uri': `${url}/wrong-prefix` });
    expect(error.message).toBe(
      `There is no MLflow API at ${url}/wrong-prefix: it answered HTTP 404 with a web page while creating model churn; check input "registry-uri" (or MLFLOW_TRACKING_URI): it must be the tracking server's base URL (a wrong path prefix answers 404).`,
    );
    expect(error.input).toBe('registry-uri');
  });

  it('says there is no MLflow API at a URL that answers 200 with a web page (a UI or a login page)', async () => {
    const url = await startWebServer({ status: 200, html: '<!doctype html><html><title>Sign in</title></html>' });
    const { error } = await failure({ ...base, 'registry-uri': url });
    expect(error.message).toMatch(new RegExp(`^There is no MLflow API at ${url.replace(/\./g, '\\.')}: it answered a web page \\(HTTP 200\\) while creating model churn; check input "registry-uri"`));
    expect(error.input).toBe('registry-uri');
  });

  it('says the server did not answer when it times out', async () => {
    const url = await startWebServer('silent');
    const { error } = await failure({ ...base, 'registry-uri': url, 'request-timeout': '1' });
    expect(error.message).toMatch(new RegExp(`^The MLflow server at ${url.replace(/\./g, '\\.')} did not answer while creating model churn: .*; check input "registry-uri"`));
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
