/**
 * The Argo CD server address as the argocd CLI takes it: a URL `https://host[:port][/path]` (http:// too), or a bare
 * `host[:port][/path]`, which means https unless `plaintext` is set.
 */
import { inputRef, UserError } from '../errors.ts';

export interface ArgoCdServerAddress {
  /** Where the API lives, with a trailing slash: `https://argocd.example.com/argocd/`. */
  readonly baseUrl: string;
  /** The same, for messages and UI links (no credentials, no trailing slash). */
  readonly display: string;
}

export function parseArgoCdServer(server: string, options: { plaintext?: boolean | undefined; input?: string | undefined } = {}): ArgoCdServerAddress {
  const trimmed = server.trim();
  const named = options.input === undefined ? 'The Argo CD server address' : inputRef(options.input);
  if (trimmed === '') throw new UserError(`${named} is empty; give the Argo CD API server as host[:port] or https://host[:port][/path].`, { input: options.input });
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  const candidate = hasScheme ? trimmed : `${options.plaintext === true ? 'http' : 'https'}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new UserError(`${named} (${JSON.stringify(trimmed)}) is not a host[:port] or an https:// URL; give the Argo CD API server, e.g. argocd.example.com or https://argocd.example.com/argocd.`, {
      input: options.input,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(`${named} must use https:// or http://, not ${url.protocol}//; give the Argo CD API server as host[:port] or https://host[:port][/path].`, {
      input: options.input,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new UserError(`${named} holds credentials; pass a token or a user name and password through their own inputs instead.`, { input: options.input });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UserError(`${named} has a query or fragment; give only https://host[:port][/path].`, { input: options.input });
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const baseUrl = url.toString();
  return { baseUrl, display: baseUrl.replace(/\/+$/, '') };
}
