import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderInputRefs, UserError } from '../../src/lib/errors.ts';
import {
  createHttpClient,
  DEFAULT_RETRY_POLICY,
  HttpError,
  NetworkError,
  NotJsonError,
  proxySettings,
  serviceError,
  type HttpClient,
} from '../../src/lib/http.ts';
import { freePort } from '../support/ports.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const servers: (http.Server | net.Server)[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          if (server instanceof http.Server) server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

function listen(server: http.Server | net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function handle(handler: Handler): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  };
}

async function serve(handler: Handler): Promise<string> {
  const port = await listen(http.createServer(handle(handler)));
  return `http://127.0.0.1:${port}/`;
}

function client(baseUrl: string, options: Partial<Parameters<typeof createHttpClient>[0]> = {}): HttpClient {
  const c = createHttpClient({ baseUrl, retry: { initialDelayMs: 5, jitterMs: 0 }, ...options });
  clients.push(c);
  return c;
}

const service = { service: 'Argo CD', doing: 'reading application guestbook', location: 'https://argocd.example/', input: 'server', authInput: 'auth-token' };

describe('send', () => {
  it('returns status, headers and the parsed body, with per-request headers over the client ones', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const url = await serve((req, res) => {
      seen = req.headers;
      res.writeHead(201, { 'content-type': 'application/json', etag: '"v1"' });
      res.end('{"ok":true}');
    });
    const c = client(url, { headers: { authorization: 'Bearer t', 'x-a': 'client' } });
    const answer = await c.send<{ ok: boolean }>({ method: 'POST', path: 'things', body: {}, headers: { 'x-a': 'request', 'x-b': 'b' } });
    expect(answer).toMatchObject({ status: 201, body: { ok: true } });
    expect(answer.headers.etag).toBe('"v1"');
    expect(seen).toMatchObject({ authorization: 'Bearer t', 'x-a': 'request', 'x-b': 'b', 'content-type': 'application/json' });
  });

  it('refuses an HTML answer with its content type and an excerpt, never the whole page', async () => {
    const page = `<!doctype html><html><body>${'x'.repeat(10_000)}</body></html>`;
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    });
    const c = client(url);
    const error = await c.send({ method: 'GET', path: 'api/v1/applications/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotJsonError);
    expect(error).toMatchObject({ status: 200, contentType: 'text/html', isHtml: true });
    expect((error as NotJsonError).excerpt.length).toBeLessThanOrEqual(120);
    // request() keeps its old contract: the text of a non-JSON body.
    await expect(c.request({ method: 'GET', path: 'x' })).resolves.toBe(page);
    const message = (serviceError(error, service) as UserError).message;
    expect(renderInputRefs(message, 'cli')).toBe(
      'There is no Argo CD API at https://argocd.example/: it answered an HTML page (text/html) while reading application guestbook; check --server (the address of the API server, not of a web page, login page or proxy).',
    );
  });

  it('keeps the headers and content type of an error answer, and cuts a long text body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain', 'x-request-id': 'r1' });
      res.end('y'.repeat(100_000));
    });
    const error = await client(url, { retry: { maxRetries: 0 } }).send({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 502, contentType: 'text/plain', headers: { 'x-request-id': 'r1' } });
    expect(((error as HttpError).body as string).length).toBe(4096);
  });

  it('ends a request when its signal aborts, also while waiting between attempts', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const c = client(url, { retry: { initialDelayMs: 10_000, jitterMs: 0 } });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stopped by the test')), 100);
    await expect(c.send({ method: 'GET', path: 'x', signal: controller.signal })).rejects.toThrow('stopped by the test');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('applies a per-request budget and no retries when asked', async () => {
    let attempts = 0;
    const url = await serve(() => {
      attempts += 1; // never answers
    });
    const c = client(url);
    const error = await c.send({ method: 'GET', path: 'x', timeoutMs: 150, retry: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'TIMEOUT', isTimeout: true });
    expect(attempts).toBe(1);
  });

  it('has a neutral default retry policy', () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ maxRetries: 3, initialDelayMs: 500, backoffFactor: 2, maxDelayMs: 10_000 });
  });
});

describe('stream', () => {
  it('yields newline-delimited JSON objects split across chunks, and ends when the server ends', async () => {
    const url = await serve((req, res) => {
      expect(req.headers.accept).toBe('application/json');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":{"n":1}}\n{"resu');
      setTimeout(() => res.end('lt":{"n":2}}\r\n\n{"result":{"n":3}}'), 20);
    });
    const calls: string[] = [];
    const c = client(url, { onRequest: (method, p) => calls.push(`${method} ${p}`) });
    const stream = await c.stream<{ result: { n: number } }>({ path: 'api/v1/stream/applications', query: { name: 'a' } });
    expect(stream.format).toBe('ndjson');
    const seen: number[] = [];
    for await (const value of stream) seen.push(value.result.n);
    expect(seen).toEqual([1, 2, 3]);
    expect(calls).toEqual(['GET api/v1/stream/applications']);
  });

  it('reads server-sent events, ignoring keepalives and other fields, and stops quietly on abort', async () => {
    const url = await serve((req, res) => {
      expect(req.headers.accept).toBe('text/event-stream');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keepalive\n\nevent: message\nid: 7\ndata: {"a":\ndata: 1}\n\n');
      res.write('data: {"a":2}\n\n');
      // Then silence: only the abort ends the loop.
    });
    const c = client(url);
    const controller = new AbortController();
    let keepalives = 0;
    const stream = await c.stream<{ a: number }>({ path: 'events', format: 'sse', signal: controller.signal, onKeepalive: () => void (keepalives += 1) });
    expect(stream.format).toBe('sse');
    const seen: number[] = [];
    for await (const value of stream) {
      seen.push(value.a);
      if (seen.length === 2) setTimeout(() => controller.abort(), 20);
    }
    expect(seen).toEqual([1, 2]);
    expect(keepalives).toBe(1);
  });

  it('fails the iteration with a NetworkError when the connection is cut, and with HttpError when refused', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/denied') {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"error":"permission denied","code":7,"message":"permission denied"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"n":1}\n');
      setTimeout(() => req.socket.destroy(), 30);
    });
    const c = client(url);
    await expect(c.stream({ path: 'denied' })).rejects.toMatchObject({ name: 'HttpError', status: 403, body: { message: 'permission denied' } });
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const value of await c.stream({ path: 'cut' })) seen.push(value);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ n: 1 }]);
    expect(error).toBeInstanceOf(NetworkError);
  });

  it('times out a silent stream when an idle timeout is set, and closes on break', async () => {
    let closed = 0;
    const url = await serve((req, res) => {
      req.on('close', () => void (closed += 1));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"n":1}\n');
    });
    const c = client(url);
    const error = await (async () => {
      for await (const _value of await c.stream({ path: 'silent', idleTimeoutMs: 150 })) void _value;
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NetworkError', code: 'UND_ERR_BODY_TIMEOUT', isTimeout: true });
    for await (const _value of await c.stream({ path: 'silent' })) break;
    await expect.poll(() => closed).toBe(2);
  });
});

describe('TLS and proxies', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'http-tls-'));
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ]);
    cert = await readFile(path.join(dir, 'cert.pem'), 'utf8');
    key = await readFile(path.join(dir, 'key.pem'), 'utf8');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function serveTls(): Promise<string> {
    const port = await listen(
      https.createServer({ cert, key }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"secure":true}');
      }),
    );
    return `https://127.0.0.1:${port}/`;
  }

  it('refuses an untrusted certificate with a sentence naming the inputs, and accepts it with ca-cert or insecure', async () => {
    const url = await serveTls();
    const error = await client(url).send({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NetworkError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', outcomeUnknown: false });
    const message = (serviceError(error, { ...service, tlsInputs: { caCert: 'ca-cert', insecure: 'insecure' } }) as UserError).message;
    expect(renderInputRefs(message, 'cli')).toBe(
      "Could not connect securely to Argo CD at https://argocd.example/ while reading application guestbook: the server's TLS certificate is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); pass its certificate authority with --ca-cert or set --insecure to skip verification.",
    );
    await expect(client(url, { tls: { caCert: cert } }).send({ method: 'GET', path: 'x' })).resolves.toMatchObject({ body: { secure: true } });
    await expect(client(url, { tls: { insecure: true } }).send({ method: 'GET', path: 'x' })).resolves.toMatchObject({ body: { secure: true } });
  });

  it('goes through HTTPS_PROXY from the given environment (not process.env), and skips it for NO_PROXY hosts', async () => {
    const target = await serveTls();
    const tunnels: string[] = [];
    const proxy = http.createServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    const proxyPort = await listen(proxy);
    const env = { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` };
    const viaProxy = client(target, { tls: { caCert: cert }, env });
    await expect(viaProxy.send({ method: 'GET', path: 'x' })).resolves.toMatchObject({ body: { secure: true } });
    expect(tunnels).toEqual([new URL(target).host]);

    const bypass = client(target, { tls: { caCert: cert }, env: { ...env, no_proxy: '127.0.0.1' } });
    await bypass.send({ method: 'GET', path: 'x' });
    expect(tunnels).toHaveLength(1);
    expect(proxySettings({ https_proxy: 'http://a', HTTPS_PROXY: 'http://b', NO_PROXY: 'x' })).toEqual({ httpProxy: '', httpsProxy: 'http://a', noProxy: 'x' });
  });
});

describe('serviceError', () => {
  const render = (error: unknown, context = service): string => renderInputRefs((serviceError(error, context) as UserError).message, 'cli');

  it('words unreachable servers, timeouts, credentials, permissions and JSON error bodies', async () => {
    const port = await freePort();
    const refused = await client(`http://127.0.0.1:${port}/`, { retry: { maxRetries: 0 } }).send({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
    expect(render(refused)).toBe(
      'Could not reach Argo CD at https://argocd.example/ while reading application guestbook (connection refused); check --server and that the server is running.',
    );
    const timeout = new NetworkError('GET', 'u', 'UND_ERR_HEADERS_TIMEOUT', 'no answer within 300 ms');
    expect(render(timeout)).toBe(
      'Argo CD at https://argocd.example/ did not answer while reading application guestbook (no answer within 300 ms); check --server and that the server is reachable.',
    );
    const argoBody = { error: 'invalid session: token is expired', code: 16, message: 'invalid session: token is expired', details: [] };
    expect(render(new HttpError('GET', 'u', 401, argoBody))).toBe(
      'Argo CD at https://argocd.example/ rejected the credentials while reading application guestbook (HTTP 401: invalid session: token is expired); check --auth-token.',
    );
    expect(render(new HttpError('GET', 'u', 403, { message: 'permission denied' }))).toBe(
      'Argo CD at https://argocd.example/ denied permission while reading application guestbook (HTTP 403: permission denied); check --auth-token.',
    );
    expect(render(new HttpError('GET', 'u', 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad.' }))).toBe(
      'Argo CD at https://argocd.example/ failed while reading application guestbook (HTTP 400: INVALID_PARAMETER_VALUE: bad).',
    );
    expect(render(new HttpError('GET', 'u', 404, '<html>nginx</html>', { 'content-type': 'text/html' }))).toBe(
      'There is no Argo CD API at https://argocd.example/: it answered an HTML page (text/html, HTTP 404) while reading application guestbook; check --server.',
    );
    const user = new UserError('already a sentence');
    expect(serviceError(user, service)).toBe(user);
    const bug = new TypeError('x');
    expect(serviceError(bug, service)).toBe(bug);
  });
});
