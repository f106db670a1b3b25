/**
 * The stand-in as a command, for the demo and the workflow tests:
 *
 *   node test/support/github-stand-in/main.ts --port 0 --repo acme/manifests=/path/to/bare.git \
 *     [--token ghs_x:contents=write,pull-requests=write] [--token ghp_y@octocat] \
 *     [--settings 'acme/manifests={"allowAutoMerge":true}']
 *
 * A token is `value[@login][:permission=level,...]`: no permissions = a personal access token that may do everything;
 * the login defaults to github-actions[bot]. Prints one JSON line `{"url":…, "graphqlUrl":…}` when ready; stops on
 * SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startGitHubStandIn, type RepoOptions, type TokenConfig } from './index.ts';
import type { Access, Permission, RepoSettings } from './state.ts';

function parseToken(spec: string): TokenConfig {
  const [identity = '', perms] = spec.split(/:(.*)/s, 2);
  const [token = '', login] = identity.split('@', 2);
  if (token === '') throw new Error(`--token ${spec}: the token value is empty`);
  if (perms === undefined || perms === '') return { token, login: login ?? 'github-actions[bot]' };
  const permissions: Partial<Record<Permission, Access>> = {};
  for (const pair of perms.split(',')) {
    const [name, level] = pair.split('=') as [Permission, Access | undefined];
    if (level !== 'read' && level !== 'write' && level !== 'none') throw new Error(`--token: permission ${pair} must be name=read|write|none`);
    permissions[name] = level;
  }
  return { token, login: login ?? 'github-actions[bot]', permissions };
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    repo: { type: 'string', multiple: true, default: [] },
    token: { type: 'string', multiple: true, default: [] },
    settings: { type: 'string', multiple: true, default: [] },
  },
});

const settings = new Map<string, Partial<RepoSettings>>();
for (const spec of values.settings) {
  const index = spec.indexOf('=');
  settings.set(spec.slice(0, index), JSON.parse(spec.slice(index + 1)) as Partial<RepoSettings>);
}
const repos: Record<string, RepoOptions> = {};
for (const spec of values.repo) {
  const index = spec.indexOf('=');
  if (index < 0) throw new Error(`--repo ${spec}: expected owner/name=/path/to/bare.git`);
  const name = spec.slice(0, index);
  repos[name] = { gitDir: spec.slice(index + 1), settings: settings.get(name) ?? {} };
}
const tokens = values.token.map(parseToken);

const standIn = await startGitHubStandIn({ repos, port: Number(values.port), ...(tokens.length > 0 ? { tokens } : {}) });
console.log(JSON.stringify({ url: standIn.url, graphqlUrl: standIn.graphqlUrl }));

const stop = (): void => {
  void standIn.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
