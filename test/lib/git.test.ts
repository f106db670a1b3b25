import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/lib/errors.ts';
import { classifyPushFailure, GitClient, remoteFailure } from '../../src/lib/git.ts';
import { removeTempDirs, cloneRemote, createRemote, git, isolatedGitEnv } from '../support/git-repos.ts';

afterAll(removeTempDirs);

const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

async function setup() {
  const remote = await createRemote({ 'values.yaml': 'model:\n  version: 12\n' });
  const clone = await cloneRemote(remote, 'clone');
  const client = new GitClient({ cwd: clone, env: isolatedGitEnv(remote.home), identity: BOT });
  return { remote, clone, client };
}

describe('GitClient', () => {
  it('reads the branch, HEAD and status of a checkout', async () => {
    const { clone, client } = await setup();
    expect(await client.currentBranch()).toBe('main');
    expect(await client.revParse('HEAD')).toMatch(/^[0-9a-f]{40}$/);
    expect(await client.tryRevParse('no-such-ref')).toBeUndefined();
    expect(await client.topLevel()).toBe(clone);
    expect(await client.status()).toEqual([]);
    await fs.writeFile(path.join(clone, 'values.yaml'), 'model:\n  version: 13\n');
    await fs.writeFile(path.join(clone, 'new.yaml'), 'a: 1\n');
    expect(await client.status()).toEqual([
      { code: ' M', path: 'values.yaml' },
      { code: '??', path: 'new.yaml' },
    ]);
    await client.detach();
    expect(await client.currentBranch()).toBeUndefined();
  });

  it('commits with the given identity where git has no identity configured', async () => {
    const { clone, client, remote } = await setup();
    // Proof that the environment really has no identity: a plain commit fails.
    const bare = new GitClient({ cwd: clone, env: { ...isolatedGitEnv(remote.home), EMAIL: '' } });
    await fs.writeFile(path.join(clone, 'values.yaml'), 'model:\n  version: 13\n');
    const refused = await bare.run(['-c', 'user.useConfigOnly=true', 'commit', '-am', 'x']);
    expect(refused.exitCode).not.toBe(0);

    const sha = await client.commit('Bump\n\nModel-Version: 13\n', ['values.yaml']);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await git(clone, ['log', '-1', '--format=%an <%ae>|%cn <%ce>'])).toBe(
      `${BOT.name} <${BOT.email}>|${BOT.name} <${BOT.email}>`,
    );
  });

  it('commits only the given paths, leaving other staged changes staged', async () => {
    const { clone, client } = await setup();
    await fs.writeFile(path.join(clone, 'other.yaml'), 'x: 1\n');
    await git(clone, ['add', 'other.yaml']);
    await fs.writeFile(path.join(clone, 'values.yaml'), 'model:\n  version: 13\n');
    const sha = await client.commit('Bump', ['values.yaml']);
    expect(await git(clone, ['diff-tree', '--no-commit-id', '--name-only', '-r', sha])).toBe('values.yaml');
    expect(await client.status()).toEqual([{ code: 'A ', path: 'other.yaml' }]);
  });

  it('pushes, and reports a push rejected because the remote moved', async () => {
    const { remote, clone, client } = await setup();
    const other = await cloneRemote(remote, 'other');
    await fs.writeFile(path.join(other, 'values.yaml'), 'model:\n  version: 20\n');
    await git(other, ['commit', '--quiet', '-am', 'Other job']);
    await git(other, ['push', '--quiet', 'origin', 'main']);

    await fs.writeFile(path.join(clone, 'values.yaml'), 'model:\n  version: 13\n');
    await client.commit('Bump', ['values.yaml']);
    const rejected = await client.pushHead('origin', 'main');
    expect(rejected.status).toBe('rejected');

    const tip = await client.fetchBranch('origin', 'main');
    expect(tip).toBe(await git(remote.bare, ['rev-parse', 'main']));
    await client.resetKeep(tip as string);
    expect(await fs.readFile(path.join(clone, 'values.yaml'), 'utf8')).toBe('model:\n  version: 20\n');
    await fs.writeFile(path.join(clone, 'values.yaml'), 'model:\n  version: 21\n');
    const sha = await client.commit('Bump again', ['values.yaml']);
    expect(await client.pushHead('origin', 'main')).toEqual({ status: 'pushed' });
    expect(await git(remote.bare, ['rev-parse', 'main'])).toBe(sha);
    expect(await client.fetchBranch('origin', 'no-such-branch')).toBeUndefined();
  });

  it('turns an unreachable remote into a UserError', async () => {
    const { client, remote } = await setup();
    const missing = path.join(remote.base, 'missing.git');
    await expect(client.pushHead(missing, 'main')).rejects.toBeInstanceOf(UserError);
    await expect(client.fetchBranch(missing, 'main')).rejects.toThrow(/remote repository was not found/);
  });

  it('keeps the auth header out of arguments and scrubs it and URL credentials from messages', async () => {
    const { clone, remote } = await setup();
    const header = 'AUTHORIZATION: basic c2VjcmV0LXRva2VuLXZhbHVl';
    const client = new GitClient({ cwd: clone, env: isolatedGitEnv(remote.home), authHeader: header });
    expect((await client.exec(['config', '--get', 'http.extraheader'])).trim()).toBe('***');
    expect(client.scrub(`https://x-access-token:ghs_abc@github.com/a/b fatal ${header}`)).toBe('https://***@github.com/a/b fatal ***');
  });
});

describe('push failure classification', () => {
  it.each([
    ['! [rejected]        HEAD -> main (non-fast-forward)'],
    ['! [rejected]        HEAD -> main (fetch first)'],
    ['remote: GitLab: incorrect old value provided'],
    ["! [remote rejected] HEAD -> main (cannot lock ref 'refs/heads/main': is at 1 but expected 2)"],
    ['! [rejected]        HEAD -> main (stale info)'],
    ['error: failed to push some refs\nhint: Updates were rejected because the remote contains work that you do not\nhint: have locally.'],
  ])('%s is a race to retry', (output) => {
    expect(classifyPushFailure(output).kind).toBe('rejected');
  });

  it.each([
    ['remote: Permission to acme/manifests.git denied to github-actions[bot].\nfatal: unable to access ...: The requested URL returned error: 403', /denied/],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", /refused the credentials/],
    ["fatal: unable to access 'https://github.com/a/b/': Could not resolve host: github.com", /could not be reached/],
  ])('%s is a user error', (output, message) => {
    expect(classifyPushFailure(output).kind).toBe('other');
    expect(remoteFailure('push to', 'origin', output)?.message).toMatch(message);
  });
});
