import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  createHttpClient,
  HttpError,
  isOutcomeUnknown,
  NetworkError,
  parseRetryAfter,
  redactUrl,
  type HttpClientOptions,
} from '../../src/lib/http.ts';
import { MLFLOW_RETRY_POLICY } from '../../src/lib/registry/mlflow.ts';
import { freePort } from '../support/ports.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, attempt: number, body: string) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A server whose handler sees the 1-based attempt number; returns its base URL. */
async function serve(handler: Handler): Promise<string> {
  let attempt = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      attempt += 1;
      handler(req, res, attempt, Buffer.concat(chunks).toString('utf8'));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const fast = { initialDelayMs: 5, jitterMs: 5, maxDelayMs: 50 };

function client(baseUrl: string, options: Partial<HttpClientOptions> = {}) {
  const calls: string[] = [];
  const c = createHttpClient({ baseUrl, retry: fast, onRequest: (method, path) => calls.push(`${method} ${path}`), ...options });
  return { c, calls };
}

describe('http client', () => {
  it('sends JSON, repeats array query keys, and counts each request by path', async () => {
    const seen: { url: string | undefined; type: string | undefined; body: string }[] = [];
    const url = await serve((req, res, _attempt, body) => {
      seen.push({ url: req.url, type: req.headers['content-type'], body });
      json(res, 200, { ok: true });
    });
    const { c, calls } = client(url, { headers: { authorization: 'Bearer secret' } });
    await expect(c.request({ method: 'GET', path: 'things/get', query: { name: "a b'", id: ['1', '2'], none: undefined } })).resolves.toEqual({ ok: true });
    await c.request({ method: 'DELETE', path: 'things/alias', body: { name: 'm' } });
    expect(seen[0]!.url).toBe("/api/things/get?name=a+b%27&id=1&id=2");
    expect(seen[1]).toEqual({ url: '/api/things/alias', type: 'application/json', body: '{"name":"m"}' });
    expect(calls).toEqual(['GET things/get', 'DELETE things/alias']);
    await c.close();
  });

  it('retries a GET on 503 and on a connection reset, then succeeds', async () => {
    const url = await serve((req, res, attempt) => {
      if (attempt === 1) json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE' });
      else if (attempt === 2) req.socket.resetAndDestroy();
      else json(res, 200, { attempt });
    });
    const { c, calls } = client(url);
    await expect(c.request({ method: 'GET', path: 'x' })).resolves.toEqual({ attempt: 3 });
    expect(calls).toHaveLength(3);
  });

  it('does not retry a POST whose outcome is unknown, and says so', async () => {
    const url = await serve((_req, res) => json(res, 500, { error_code: 'INTERNAL_ERROR', message: 'boom' }));
    const { c, calls } = client(url);
    const error = await c.request({ method: 'POST', path: 'create', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'boom' }, outcomeUnknown: true });
    expect(isOutcomeUnknown(error)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('retries a POST on 429 (not processed) honouring Retry-After, and any failure when the caller says it is idempotent', async () => {
    const url = await serve((_req, res, attempt) => {
      if (attempt === 1) json(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED' }, { 'retry-after': '0' });
      else if (attempt === 2) json(res, 500, { error_code: 'INTERNAL_ERROR' });
      else json(res, 200, { attempt });
    });
    const { c, calls } = client(url);
    await expect(c.request({ method: 'POST', path: 'create', body: {}, idempotent: true })).resolves.toEqual({ attempt: 3 });
    expect(calls).toHaveLength(3);
  });

  it('gives up at once when Retry-After asks for more than the budget leaves', async () => {
    const url = await serve((_req, res) => json(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED' }, { 'retry-after': '3600' }));
    const { c, calls } = client(url, { totalTimeoutMs: 5_000 });
    await expect(c.request({ method: 'GET', path: 'x' })).rejects.toMatchObject({ name: 'HttpError', status: 429 });
    expect(calls).toHaveLength(1);
  });

  it('passes a non-retryable answer through with its parsed body', async () => {
    const url = await serve((_req, res) => json(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' }));
    const { c, calls } = client(url);
    await expect(c.request({ method: 'GET', path: 'x' })).rejects.toMatchObject({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' },
      outcomeUnknown: false,
    });
    expect(calls).toHaveLength(1);
  });

  it('stops retrying within the total budget and hands back the last answer', async () => {
    const url = await serve((_req, res) => json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE' }));
    // Retries after 500 ms, then would wait 1000 ms more: past the 1500 ms budget, so it stops after two attempts.
    const { c, calls } = client(url, { totalTimeoutMs: 1_500, retry: { initialDelayMs: 500, jitterMs: 0, maxRetries: 100 } });
    await expect(c.request({ method: 'GET', path: 'x' })).rejects.toMatchObject({ name: 'HttpError', status: 503 });
    expect(calls).toHaveLength(2);
  });

  it('times out an attempt that gets no answer, retrying a GET but not a POST', async () => {
    // The first two requests are never answered.
    const url = await serve((_req, res, attempt) => {
      if (attempt > 2) json(res, 200, { attempt });
    });
    const { c, calls } = client(url, { requestTimeoutMs: 300 });
    const error = await c.request({ method: 'POST', path: 'create', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT', reason: 'no answer within 300 ms', outcomeUnknown: true });
    expect(calls).toHaveLength(1);
    const answer = await c.request<{ attempt: number }>({ method: 'GET', path: 'x' });
    // Usually 3; a machine too busy to answer within 300 ms makes it retry once more, which is right too.
    expect(answer.attempt).toBeGreaterThanOrEqual(3);
    expect(calls).toHaveLength(answer.attempt);
  });

  it('ends an attempt still running when the total budget runs out', async () => {
    const url = await serve(() => undefined);
    const { c } = client(url, { requestTimeoutMs: 30_000, totalTimeoutMs: 200 });
    await expect(c.request({ method: 'GET', path: 'x' })).rejects.toMatchObject({
      name: 'NetworkError',
      code: 'TIMEOUT',
      reason: expect.stringMatching(/^no answer within the time budget \(\d+ ms\)$/),
      outcomeUnknown: true,
    });
  });

  it('reports a refused connection with the URL and what the network said, retrying even a POST', async () => {
    const port = await freePort();
    const { c, calls } = client(`http://127.0.0.1:${port}/api/`, { retry: { ...fast, maxRetries: 2 } });
    const error = await c.request({ method: 'POST', path: 'create', query: { a: '1' }, body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', reason: 'connection refused', outcomeUnknown: false });
    expect((error as NetworkError).url).toBe(`http://127.0.0.1:${port}/api/create?a=1`);
    expect(calls).toHaveLength(3);
  });

  it('refuses credentials in the base URL and strips them from URLs it prints', () => {
    expect(() => createHttpClient({ baseUrl: 'https://user:pw@example.com/' })).toThrow(/credentials/);
    expect(redactUrl('https://user:pw@example.com/a?b=1')).toBe('https://example.com/a?b=1');
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped (the MLflow client's policy)", () => {
    const policy = MLFLOW_RETRY_POLICY;
    expect(backoffDelay(policy, 0, () => 0)).toBe(1_000);
    expect(backoffDelay(policy, 3, () => 0)).toBe(8_000);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(8_500);
    expect(backoffDelay(policy, 30, () => 0)).toBe(120_000);
  });
});
