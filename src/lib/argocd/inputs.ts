/**
 * The Argo CD connection inputs every command that talks to Argo CD shares (wait-for-argo-sync, rollback), declared
 * once so their names, env fallbacks and docs cannot drift apart, and the connection made from them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { flag, lines, secret, text, type InputRule, type RunContext } from '../command.ts';
import { inputRef, UserError } from '../errors.ts';
import { createArgoCdClient, connectWithPassword, type ArgoCdClient } from './client.ts';
import { isArgoCdError } from './errors.ts';
import { parseArgoCdServer } from './server.ts';

export const ARGOCD_INPUTS = {
  server: text({
    description: 'The Argo CD API server: `https://host[:port][/path]`, or `host[:port]` as the argocd CLI takes it (https unless `plaintext`).',
    env: ['ARGOCD_SERVER'],
  }),
  plaintext: flag({ description: 'Use http for a bare `host:port` server.', default: 'false' }),
  'auth-token': secret({ description: 'An Argo CD API token (Bearer).', env: ['ARGOCD_AUTH_TOKEN'] }),
  username: text({ description: 'Instead of `auth-token`: a local Argo CD account, for which a session token is fetched.' }),
  password: secret({ description: 'The password of `username`.' }),
  insecure: flag({ description: 'Skip the verification of the server\'s TLS certificate.', default: 'false' }),
  'ca-cert': text({ description: 'CA certificates to trust besides the system\'s: PEM text or a file.' }),
  headers: lines({ description: 'Extra `Name: value` headers on every Argo CD request (identity-aware proxies).' }),
};

export const ARGOCD_RULES: InputRule[] = [
  { kind: 'together', inputs: ['username', 'password'] },
  { kind: 'exclusive', inputs: ['auth-token', 'username'] },
];

export interface ArgoCdInputValues {
  server: string | undefined;
  plaintext: boolean;
  authToken: string | undefined;
  username: string | undefined;
  password: string | undefined;
  insecure: boolean;
  caCert: string | undefined;
  headers: string[] | undefined;
}

/** `Name: value` lines into headers; `input` names the input for messages. */
export function headerLines(lines: readonly string[] | undefined, input: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines ?? []) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UserError(`${inputRef(input)} line ${JSON.stringify(line.length > 40 ? `${line.slice(0, 37)}...` : line)} is not \`Name: value\`; write one header per line.`, { input });
    }
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The PEM text of `ca-cert`: the value itself when it holds a certificate, else the file it names. */
function caCertText(value: string | undefined, workspace: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  const file = path.resolve(workspace, value);
  if (!existsSync(file)) {
    throw new UserError(`${inputRef('ca-cert')} is neither PEM text nor an existing file (${value}); give the CA certificate itself or its path.`, { input: 'ca-cert' });
  }
  if (!statSync(file).isFile()) {
    throw new UserError(`${inputRef('ca-cert')} names a directory (${value}), not a file; give the CA certificate file itself (PEM) or its text.`, { input: 'ca-cert' });
  }
  const text = readFileSync(file, 'utf8');
  if (!text.includes('-----BEGIN')) {
    throw new UserError(`${inputRef('ca-cert')} names a file with no PEM certificate in it (${value}); give a file holding -----BEGIN CERTIFICATE----- blocks.`, { input: 'ca-cert' });
  }
  return text;
}

/**
 * A client for the server the inputs name, logged in with the token or a session for the account; `loginTimeoutMs`
 * bounds the login (a caller with a timeout passes what is left of it).
 */
export async function connectArgoCd(inputs: ArgoCdInputValues, ctx: RunContext, connect: { loginTimeoutMs?: number | undefined } = {}): Promise<ArgoCdClient> {
  if (inputs.server === undefined) {
    throw new UserError(`${inputRef('server')} is required to talk to Argo CD (or set ARGOCD_SERVER).`, { input: 'server' });
  }
  if (inputs.authToken === undefined && inputs.username === undefined) {
    throw new UserError(`Argo CD needs credentials: set ${inputRef('auth-token')} (or ARGOCD_AUTH_TOKEN), or ${inputRef('username')} and ${inputRef('password')}.`, {
      input: 'auth-token',
    });
  }
  const headers = headerLines(inputs.headers, 'headers');
  for (const value of Object.values(headers)) ctx.setSecret(value);
  const options = {
    server: inputs.server,
    plaintext: inputs.plaintext,
    authToken: inputs.authToken,
    headers,
    insecure: inputs.insecure,
    caCert: caCertText(inputs.caCert, ctx.workspace),
    env: ctx.env,
    inputs: { server: 'server', authToken: 'auth-token', caCert: 'ca-cert', insecure: 'insecure', appNamespace: 'app-namespace', project: 'project' },
  };
  if (inputs.username !== undefined && inputs.password !== undefined) {
    try {
      return await connectWithPassword({ ...options, username: inputs.username, password: inputs.password, loginTimeoutMs: connect.loginTimeoutMs, onSessionToken: (token) => ctx.setSecret(token) });
    } catch (error) {
      // The login's 401 is about the account, not a token.
      if (isArgoCdError(error, 'unauthenticated')) {
        throw new UserError(
          `Argo CD at ${parseArgoCdServer(inputs.server, { plaintext: inputs.plaintext }).display} refused the login of user ${inputs.username} (HTTP ${error.status ?? 401}${error.serverMessage === undefined ? '' : `: ${error.serverMessage}`}); check ${inputRef('username')} and ${inputRef('password')}.`,
          { input: 'password', cause: error },
        );
      }
      throw error;
    }
  }
  return createArgoCdClient(options);
}
