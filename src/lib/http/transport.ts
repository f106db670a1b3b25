/**
 * Where requests go: an undici Agent with the caller's TLS settings, or a proxy agent when the caller's environment
 * names a proxy. The environment is passed in (a RunContext's env), never read from process.env here, so a test or a
 * CLI run sees exactly the proxy settings it was given.
 */
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

export interface TlsOptions {
  /** Skip verification of the server's certificate (self-signed test servers); the traffic is still encrypted. */
  insecure?: boolean | undefined;
  /** PEM text of one or more CA certificates trusted in addition to the system's. */
  caCert?: string | undefined;
}

export interface TransportOptions {
  tls?: TlsOptions | undefined;
  /**
   * The environment to read `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (and their lower-case spellings) from. Without
   * it, no proxy is used.
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Time to establish a connection (TCP and TLS). */
  connectTimeoutMs: number;
}

/** The proxy settings of an environment; lower-case names win, as in curl. */
export function proxySettings(env: Readonly<Record<string, string | undefined>>): { httpProxy: string; httpsProxy: string; noProxy: string } {
  const read = (name: string): string => (env[name.toLowerCase()] ?? env[name] ?? '').trim();
  return { httpProxy: read('HTTP_PROXY'), httpsProxy: read('HTTPS_PROXY'), noProxy: read('NO_PROXY') };
}

function connectOptions(tls: TlsOptions | undefined, timeoutMs: number): Record<string, unknown> {
  const options: Record<string, unknown> = { timeout: timeoutMs };
  if (tls?.insecure === true) options.rejectUnauthorized = false;
  // Node's `ca` replaces the system roots; keep them so a CA bundle adds trust rather than narrowing it.
  if (tls?.caCert !== undefined && tls.caCert.trim() !== '') options.ca = [...rootCertificates, tls.caCert];
  return options;
}

/** A dispatcher owned by the caller (close it when done). */
export function createTransport(options: TransportOptions): Dispatcher {
  const connect = connectOptions(options.tls, options.connectTimeoutMs);
  const proxy = proxySettings(options.env ?? {});
  if (proxy.httpProxy === '' && proxy.httpsProxy === '') return new Agent({ connect });
  // Every field passed explicitly (empty strings included): undici falls back to process.env for a missing one.
  return new EnvHttpProxyAgent({
    httpProxy: proxy.httpProxy,
    httpsProxy: proxy.httpsProxy,
    noProxy: proxy.noProxy,
    connect,
    requestTls: connect,
  });
}
