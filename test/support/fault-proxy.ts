/**
 * An HTTP proxy between a client and a real server that misbehaves on cue: per request matched by method and path,
 * and by how many matching requests came before, it answers a status of its own (500, 503, 429 with Retry-After,
 * 401...), holds the request or the answer past the client's timeout, or resets the connection before forwarding or
 * after the server processed the request. Everything else is forwarded untouched (Host rewritten for the target).
 */
import http from 'node:http';
import { listenOnLoopback } from './process.ts';

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: string }
  /** Hold for `ms`: `before` forwarding (dropped if the client gave up meanwhile) or `after` the server answered. */
  | { kind: 'delay'; ms: number; when: 'before' | 'after' }
  /** Reset the client's connection without forwarding: the server never sees the request. */
  | { kind: 'reset-before' }
  /** Forward, wait for the server's whole answer, then reset the client's connection: processed but unanswered. */
  | { kind: 'reset-after' };

export interface FaultRule {
  method?: string;
  /** Matched against the path without the query: a suffix string (`model-versions/create`) or a RegExp. */
  path: string | RegExp;
  /** Which matching requests (1-based) get the fault; default: the first. `'all'` for every one. */
  attempts?: readonly number[] | 'all';
  fault: Fault;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  fault: Fault['kind'] | undefined;
}

export interface FaultProxy {
  url: string;
  /** Every request the proxy received, in order. */
  readonly requests: ProxiedRequest[];
  /** Replaces the rules and resets their attempt counters. */
  setRules(rules: readonly FaultRule[]): void;
  close(): Promise<void>;
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  return typeof rule.path === 'string' ? path.endsWith(rule.path) : rule.path.test(path);
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers.connection;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false },
      (res) => {
        readAll(res).then((data) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: data }), reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startFaultProxy(targetUrl: string, initialRules: readonly FaultRule[] = []): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  let rules: { rule: FaultRule; seen: number }[] = [];
  const requests: ProxiedRequest[] = [];
  const setRules = (next: readonly FaultRule[]): void => {
    rules = next.map((rule) => ({ rule, seen: 0 }));
  };
  setRules(initialRules);

  const pickFault = (method: string, path: string): Fault | undefined => {
    for (const entry of rules) {
      if (!matches(entry.rule, method, path)) continue;
      entry.seen += 1;
      const attempts = entry.rule.attempts ?? [1];
      if (attempts === 'all' || attempts.includes(entry.seen)) return entry.rule.fault;
    }
    return undefined;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = await readAll(req);
    const fault = pickFault(method, path);
    requests.push({ method, path, fault: fault?.kind });
    const clientGone = (): boolean => req.socket.destroyed;

    const answer = (upstream: Upstream): void => {
      if (clientGone()) return;
      const headers = { ...upstream.headers };
      delete headers['transfer-encoding'];
      delete headers.connection;
      headers['content-length'] = String(upstream.body.length);
      res.writeHead(upstream.status, headers);
      res.end(upstream.body);
    };

    switch (fault?.kind) {
      case undefined:
        answer(await forward(target, req, body));
        return;
      case 'status': {
        const payload = JSON.stringify(fault.body ?? { error_code: 'INTERNAL_ERROR', message: `injected HTTP ${fault.status}` });
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
        });
        res.end(payload);
        return;
      }
      case 'delay':
        if (fault.when === 'before') {
          await sleep(fault.ms);
          // A reverse proxy drops the request of a client that went away; forwarding it late would race the client.
          if (clientGone()) return;
          answer(await forward(target, req, body));
        } else {
          const upstream = await forward(target, req, body);
          await sleep(fault.ms);
          answer(upstream);
        }
        return;
      case 'reset-before':
        req.socket.resetAndDestroy();
        return;
      case 'reset-after':
        await forward(target, req, body);
        req.socket.resetAndDestroy();
        return;
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || req.socket.destroyed) {
        req.socket.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${String(error)}`);
    });
  });
  const { url, close } = await listenOnLoopback(server);

  return {
    url,
    requests,
    setRules,
    close,
  };
}
