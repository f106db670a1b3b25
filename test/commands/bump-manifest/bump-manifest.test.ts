import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../../src/commands/bump-manifest/index.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { GitClient } from '../../../src/lib/git.ts';
import { readLedger } from '../../../src/lib/ledger.ts';
import { runCommand } from '../../support/run-command.ts';
import { removeTempDirs, cloneRemote, createRemote, git, isolatedGitEnv, readTree, showFile, snapshotCheckout, writeTree, type RemoteRepository } from '../../support/git-repos.ts';

afterAll(removeTempDirs);

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/bump-manifest/repo');
const BOT = 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';

async function setup() {
  const remote = await createRemote(await readTree(FIXTURE));
  const clone = await cloneRemote(remote, 'clone');
  return { remote, clone };
}

async function runBump(remote: RemoteRepository, workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runCommand(bumpManifest, inputs, { env: { ...isolatedGitEnv(remote.home), ...env }, workspace });
}

const remoteHead = (remote: RemoteRepository) => git(remote.bare, ['rev-parse', 'main']);
const mergeCommits = (remote: RemoteRepository) => git(remote.bare, ['rev-list', '--merges', 'main']);

describe('bump-manifest', () => {
  it('edits, commits without a configured identity, pushes, and writes trailers', async () => {
    const { remote, clone } = await setup();
    const { outputs, ctx } = await runBump(
      remote,
      clone,
      {
        updates: 'envs/production/values.yaml:model.version=13\nenvs/production/kustomization.yaml:images[name=ghcr.io/acme/churn-serving].newTag=v1.5.0',
        'model-name': 'churn',
        'model-version': '13',
        environment: 'production',
      },
      { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/ml', GITHUB_RUN_ID: '42' },
    );
    expect(outputs.changed).toBe(true);
    expect(outputs['changed-files']).toEqual(['envs/production/values.yaml', 'envs/production/kustomization.yaml']);
    expect(outputs.previous).toEqual({
      'envs/production/values.yaml:model.version': '12',
      'envs/production/kustomization.yaml:images[name=ghcr.io/acme/churn-serving].newTag': 'v1.4.0',
    });
    expect(outputs['commit-sha']).toBe(await remoteHead(remote));
    expect(outputs.diff).toContain('--- a/envs/production/values.yaml\n+++ b/envs/production/values.yaml');
    expect(outputs.diff).toContain('-  version: 12 # set by bump-manifest\n+  version: 13 # set by bump-manifest');

    expect(await showFile(remote, 'main', 'envs/production/values.yaml')).toContain('  version: 13 # set by bump-manifest');
    expect(await git(remote.bare, ['log', '-1', '--format=%an <%ae>', 'main'])).toBe(BOT);
    expect(await git(remote.bare, ['log', '-1', '--format=%s', 'main'])).toBe('Bump churn to 13 in production');
    expect(await git(remote.bare, ['log', '-1', '--format=%(trailers)', 'main'])).toBe(
      [
        'Model-Name: churn',
        'Model-Version: 13',
        'Previous-Version: 12',
        'Environment: production',
        'Manifest-Update: envs/production/values.yaml:model.version=13',
        'Manifest-Update: envs/production/kustomization.yaml:images[name=ghcr.io/acme/churn-serving].newTag=v1.5.0',
        'Workflow-Run: https://github.com/acme/ml/actions/runs/42',
      ].join('\n'),
    );
    const ledger = await readLedger(new GitClient({ cwd: clone, env: isolatedGitEnv(remote.home) }));
    expect(ledger[0]).toMatchObject({ previousVersion: '12', modelVersion: '13', environment: 'production' });
    expect(ledger[0]?.updates).toContainEqual({ file: 'envs/production/values.yaml', selector: 'model.version', value: '13' });
    expect(ctx.summaries.join('')).toContain('| `envs/production/values.yaml` | `model.version` | `12` | `13` | changed |');
    expect(ctx.summaries.join('')).toMatch(/pushed it to `origin\/main` after 1 attempt\./);
    expect(await git(clone, ['status', '--porcelain'])).toBe('');
  });

  it('changes only the scalar: BOM, CRLF, comments, anchors, a missing final newline and the file mode are kept', async () => {
    const original = '\uFEFF# values\r\nmodel:\r\n  version: "12"  # pinned\r\n\r\ndefaults: &d {a: 1}\r\nother: *d';
    const remote = await createRemote({ 'values.yaml': original });
    const clone = await cloneRemote(remote, 'clone');
    await fs.chmod(path.join(clone, 'values.yaml'), 0o755);
    await git(clone, ['commit', '--quiet', '-am', 'Make it executable']);
    await git(clone, ['push', '--quiet', 'origin', 'main']);
    await runBump(remote, clone, { updates: 'values.yaml:model.version=13' });
    const bytes = await fs.readFile(path.join(clone, 'values.yaml'));
    expect(bytes.equals(Buffer.from(original.replace('"12"', '"13"'), 'utf8'))).toBe(true);
    expect((await fs.stat(path.join(clone, 'values.yaml'))).mode & 0o777).toBe(0o755);
    expect(await git(remote.bare, ['ls-tree', 'main', 'values.yaml'])).toMatch(/^100755 /);
  });

  it('is idempotent: a second run changes nothing and commits nothing', async () => {
    const { remote, clone } = await setup();
    const inputs = { updates: 'envs/*/values.yaml:model.version=13' };
    const first = await runBump(remote, clone, inputs);
    expect(first.outputs['changed-files']).toEqual(['envs/production/values.yaml', 'envs/staging/values.yaml']);
    const tip = await remoteHead(remote);
    const second = await runBump(remote, clone, inputs);
    expect(second.outputs).toMatchObject({ changed: false, 'changed-files': [], 'commit-sha': '', diff: '' });
    expect(second.outputs.previous).toEqual({ 'envs/production/values.yaml:model.version': '13', 'envs/staging/values.yaml:model.version': '13' });
    expect(await remoteHead(remote)).toBe(tip);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(tip);
  });

  it('dry-run prints the diff and writes nothing', async () => {
    const { remote, clone } = await setup();
    const before = await snapshotCheckout(clone);
    const tip = await remoteHead(remote);
    const { outputs, ctx } = await runBump(remote, clone, { updates: 'k8s/serving.yaml:(Deployment/churn-serving).spec.template.spec.containers[name=server].env[name=MODEL_VERSION].value=13', 'dry-run': 'true' });
    expect(outputs.changed).toBe(true);
    expect(outputs['commit-sha']).toBe('');
    expect(outputs.diff).toContain('+              value: "13"');
    expect(ctx.infos.join('\n')).toContain('+              value: "13"');
    expect(await snapshotCheckout(clone)).toEqual(before);
    expect(await remoteHead(remote)).toBe(tip);
  });

  it('commit: false writes the files and commits nothing', async () => {
    const { remote, clone } = await setup();
    const head = await git(clone, ['rev-parse', 'HEAD']);
    const { outputs } = await runBump(remote, clone, { updates: 'envs/staging/values.yaml:model.version=14', commit: 'false' });
    expect(outputs.changed).toBe(true);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(clone, ['status', '--porcelain'])).toBe('M envs/staging/values.yaml');
  });

  it('push: false commits locally with the message template', async () => {
    const { remote, clone } = await setup();
    const tip = await remoteHead(remote);
    const { outputs } = await runBump(remote, clone, {
      updates: 'envs/staging/values.yaml:model.version=14',
      push: 'false',
      'model-name': 'churn',
      'model-version': '14',
      'commit-message': 'deploy({environment}): {model} {previous} -> {version} ({files})',
      environment: 'staging',
    });
    expect(outputs['commit-sha']).toBe(await git(clone, ['rev-parse', 'HEAD']));
    expect(await git(clone, ['log', '-1', '--format=%s'])).toBe('deploy(staging): churn 12 -> 14 (envs/staging/values.yaml)');
    expect(await remoteHead(remote)).toBe(tip);
  });

  it('on a detached HEAD pushes to the `branch` input', async () => {
    const { remote, clone } = await setup();
    await git(clone, ['checkout', '--quiet', '--detach']);
    await expect(runBump(remote, clone, { updates: 'envs/staging/values.yaml:model.version=14' })).rejects.toThrow(/detached HEAD; set input "branch" to the branch to push to/);
    const { outputs } = await runBump(remote, clone, { updates: 'envs/staging/values.yaml:model.version=14', branch: 'main' });
    expect(outputs['commit-sha']).toBe(await remoteHead(remote));
  });

  it('pushing to another branch than the checked-out one starts from that branch and leaves the local branch alone', async () => {
    const { remote, clone } = await setup();
    await git(clone, ['push', '--quiet', 'origin', 'main:production']);
    await writeTree(clone, { 'unrelated.txt': 'local work\n' });
    await git(clone, ['add', 'unrelated.txt']);
    await git(clone, ['commit', '--quiet', '-m', 'Local only']);
    const localMain = await git(clone, ['rev-parse', 'main']);
    const { outputs } = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=15', branch: 'production' });
    const production = await git(remote.bare, ['rev-parse', 'production']);
    expect(outputs['commit-sha']).toBe(production);
    expect(await git(remote.bare, ['ls-tree', '--name-only', 'production'])).not.toContain('unrelated.txt');
    expect(await git(clone, ['rev-parse', 'main'])).toBe(localMain);
    // The checkout is back on the branch it was on, so the next bump step of the job works.
    expect(await git(clone, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main');
    const next = await runBump(remote, clone, { updates: 'envs/staging/values.yaml:model.version=16' });
    expect(next.outputs['commit-sha']).toBe(await remoteHead(remote));
  });

  it('refuses a branch missing on the remote (a typo) with a did-you-mean, unless create-branch is true', async () => {
    const { remote, clone } = await setup();
    const before = await snapshotCheckout(clone);
    const error = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', branch: 'mian' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'The branch "mian" does not exist on origin (did you mean "main"?), so nothing was pushed: check input "branch", or set input "create-branch" to true to create it.',
    );
    expect(await snapshotCheckout(clone)).toEqual(before);
    expect(await git(remote.bare, ['branch', '--list', 'mian'])).toBe('');
    const { outputs } = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', branch: 'release/13', 'create-branch': 'true' });
    expect(outputs['commit-sha']).toBe(await git(remote.bare, ['rev-parse', 'release/13']));
    expect(await git(clone, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main');
  });

  it('re-applies the edits on the new tip when another job pushed first, keeping history linear', async () => {
    const { remote, clone } = await setup();
    const other = await cloneRemote(remote, 'other');
    await runBump(remote, other, { updates: 'envs/production/values.yaml:image.tag=v9.9.9' });
    const { outputs, ctx } = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' });
    expect(outputs.changed).toBe(true);
    const values = await showFile(remote, 'main', 'envs/production/values.yaml');
    expect(values).toContain('version: 13 # set by bump-manifest');
    expect(values).toContain('tag: "v9.9.9"');
    expect(await mergeCommits(remote)).toBe('');
    expect(ctx.summaries.join('')).toMatch(/after 2 attempts/);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(await remoteHead(remote));
  });

  it('ends with changed=false when the new tip already has the values', async () => {
    const { remote, clone } = await setup();
    const other = await cloneRemote(remote, 'other');
    await runBump(remote, other, { updates: 'envs/production/values.yaml:model.version=13', 'model-name': 'churn' });
    const tip = await remoteHead(remote);
    const { outputs } = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' });
    expect(outputs, JSON.stringify(outputs)).toMatchObject({ changed: false, 'commit-sha': '' });
    expect(await remoteHead(remote)).toBe(tip);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(tip);
  });

  it('keeps unrelated uncommitted changes of the checkout through a retry', async () => {
    const { remote, clone } = await setup();
    const other = await cloneRemote(remote, 'other');
    await runBump(remote, other, { updates: 'envs/staging/values.yaml:model.version=20' });
    await writeTree(clone, { 'notes.txt': 'untracked work\n', 'k8s/serving.yaml': '# local edit\n' });
    const { outputs } = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' });
    expect(outputs['changed-files']).toEqual(['envs/production/values.yaml']);
    expect(await git(clone, ['status', '--porcelain'])).toBe('M k8s/serving.yaml\n?? notes.txt');
    expect(await git(remote.bare, ['show', '--name-only', '--format=', 'main'])).toBe('envs/production/values.yaml');
  });

  it('reports a failing commit hook in one sentence and leaves the files as they were', async () => {
    const { remote, clone } = await setup();
    await fs.writeFile(path.join(clone, '.git/hooks/pre-commit'), '#!/bin/sh\necho "lint failed" >&2\nexit 1\n', { mode: 0o755 });
    const before = await snapshotCheckout(clone);
    await expect(runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' })).rejects.toThrow(/^git commit failed in .* \(lint failed\)/);
    expect(await snapshotCheckout(clone)).toEqual(before);
  });

  it('gives up after max-attempts and puts the checkout back', async () => {
    const { remote, clone } = await setup();
    const hook = path.join(remote.bare, 'hooks', 'pre-receive');
    await fs.writeFile(hook, "#!/bin/sh\necho \"error: cannot lock ref 'refs/heads/main'\" >&2\nexit 1\n", { mode: 0o755 });
    const before = await snapshotCheckout(clone);
    const tip = await remoteHead(remote);
    const error = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', 'max-attempts': '2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/rejected 2 times \(last reason: cannot lock ref\)/);
    expect(await snapshotCheckout(clone)).toEqual(before);
    expect(await remoteHead(remote)).toBe(tip);
  });

  it('refuses a remote name that is not configured (a typo) with a did-you-mean, before touching anything', async () => {
    const { remote, clone } = await setup();
    const before = await snapshotCheckout(clone);
    const error = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', remote: 'orgin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('Input "remote" "orgin" is not a remote of the checkout (did you mean "origin"?); its remotes are origin.');
    expect(await snapshotCheckout(clone)).toEqual(before);
  });

  it('reports an unreachable remote in one sentence and puts the checkout back', async () => {
    const { remote, clone } = await setup();
    await git(clone, ['remote', 'set-url', 'origin', 'http://127.0.0.1:9/manifests.git']);
    const before = await snapshotCheckout(clone);
    const error = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^git fetch from "origin" failed because the remote could not be reached/);
    expect(await snapshotCheckout(clone)).toEqual(before);
  });

  it('refuses to commit over uncommitted changes in a target file', async () => {
    const { remote, clone } = await setup();
    await writeTree(clone, { 'envs/production/values.yaml': '# local edit\nmodel:\n  version: 12\n' });
    await expect(runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13' })).rejects.toThrow(/uncommitted changes/);
    expect(await fs.readFile(path.join(clone, 'envs/production/values.yaml'), 'utf8')).toBe('# local edit\nmodel:\n  version: 12\n');
  });

  describe('bad input changes nothing', () => {
    const valid = 'envs/production/values.yaml:model.version=13';
    const cases: Array<[string, string, (clone: string, base: string) => Promise<void>]> = [
      ['a selector that does not exist', 'envs/production/values.yaml:model.versoin=13', async () => undefined],
      ['a missing file', 'envs/qa/values.yaml:model.version=13', async () => undefined],
      ['a glob that matches nothing', 'envs/*/missing.yaml:model.version=13', async () => undefined],
      ['a YAML syntax error', 'broken.yaml:a=1', async (clone) => commitFile(clone, 'broken.yaml', 'a: [1, 2\nb: {\n')],
      ['an ambiguous list match', 'dup.yaml:images[name=x].newTag=2', async (clone) => commitFile(clone, 'dup.yaml', 'images:\n  - name: x\n    newTag: 1\n  - name: x\n    newTag: 1\n')],
      ['a line without =', 'envs/production/values.yaml:model.version', async () => undefined],
      ['a selector that targets a map', 'envs/production/values.yaml:model=13', async () => undefined],
      ['a path with ..', '../outside.yaml:a=1', async () => undefined],
      ['an absolute path', '/etc/hostname:a=1', async () => undefined],
      ['a symlink pointing outside', 'link.yaml:secret=1', async (clone, base) => {
        await fs.writeFile(path.join(base, 'outside.yaml'), 'secret: 0\n');
        await fs.symlink(path.join(base, 'outside.yaml'), path.join(clone, 'link.yaml'));
        await git(clone, ['add', 'link.yaml']);
        await git(clone, ['commit', '--quiet', '-m', 'link']);
      }],
      ['a binary file', 'binary.yaml:a=1', async (clone) => commitFile(clone, 'binary.yaml', Buffer.from('a: 1\0\n'))],
      ['a non-UTF-8 file', 'latin1.yaml:a=1', async (clone) => commitFile(clone, 'latin1.yaml', Buffer.from('a: caf\xe9\n', 'latin1'))],
    ];

    it.each(cases)('%s', async (_name, line, prepare) => {
      const { remote, clone } = await setup();
      await prepare(clone, remote.base);
      const before = await snapshotCheckout(clone);
      const tip = await remoteHead(remote);
      const error = await runBump(remote, clone, { updates: `${valid}\n${line}` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      const message = (error as UserError).message;
      expect(message.split(/[.;!?]\s+[A-Z]/).length).toBe(1);
      expect(await snapshotCheckout(clone)).toEqual(before);
      expect(await remoteHead(remote)).toBe(tip);
    });
  });

  it('refuses a remote URL carrying credentials without echoing them', async () => {
    const { remote, clone } = await setup();
    const error = await runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', remote: 'https://x-access-token:ghs_secret@github.com/a/b.git' }).catch((e: unknown) => e);
    expect((error as UserError).message).toMatch(/contains credentials/);
    expect((error as UserError).message).not.toContain('ghs_secret');
  });

  it('refuses an unknown placeholder in the message template before touching anything', async () => {
    const { remote, clone } = await setup();
    await expect(runBump(remote, clone, { updates: 'envs/production/values.yaml:model.version=13', 'commit-message': 'Bump {modl}' })).rejects.toThrow(
      /unknown placeholder \{modl\} \(did you mean "model"\?\)/,
    );
  });
});

async function commitFile(clone: string, file: string, content: string | Uint8Array): Promise<void> {
  await writeTree(clone, { [file]: content });
  await git(clone, ['add', file]);
  await git(clone, ['commit', '--quiet', '-m', `Add ${file}`]);
}
