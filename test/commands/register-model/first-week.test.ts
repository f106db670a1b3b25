/**
 * The cases of issue 9 that register-model met in a user's first week, run as the user ran them: through the CLI entry
 * (`runCli`, in-process, or the real entry point in a child process where the user id matters) and the Action entry.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../src/cli.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { IDEMPOTENCY_KEY_TAG, LINEAGE_TAGS, ROLLED_BACK_TAG } from '../../../src/lib/registry/tags.ts';
import { runActionScript } from '../../support/action-runner.ts';
import { CLI_ENTRY, NODE } from '../../support/cli-process.ts';
import { git, isolatedGitEnv, removeTempDirs, tempDir } from '../../support/git-repos.ts';

afterAll(removeTempDirs);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The `error: ...` line, when there is one. */
  error: string | undefined;
}

/** `ml-gitops register-model <args>` in `dir`, with only PATH (and `env`) in the environment: outside GitHub Actions. */
async function register(dir: string, args: Record<string, string>, env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { ...isolatedGitEnv(path.join(os.tmpdir(), 'ml-gitops-empty-home')), RUNNER_TEMP: dir, ...env },
    cwd: dir,
  };
  const code = await runCli(['register-model', ...Object.entries(args).flatMap(([name, value]) => [`--${name}`, value])], io);
  return { code, stdout, stderr, error: /^error: (.*)$/m.exec(stderr)?.[1] };
}

/** Asserts a failed run printed one sentence, no stack trace. */
function expectOneSentence(run: CliRun): string {
  expect(run.code).toBe(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toContain('this is a bug');
  expect(run.error).toMatch(/\.$/);
  return run.error as string;
}

const model = { 'model-name': 'churn', source: 's3://bucket/churn/model' };

async function rejectedReport(dir: string): Promise<string> {
  const report = JSON.parse(await readFile(path.resolve('test/fixtures/register-model/evaluation-report.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'rejected.json'), JSON.stringify({ ...report, decision: 'reject', reason: 'The candidate is worse than the champion on f1.' }));
  return 'rejected.json';
}

describe('issue 9 item 1 and 7: an unwritable registry location is one sentence naming registry-uri', () => {
  it('refuses a registry-uri that is a file (ENOTDIR), through the CLI', async () => {
    const dir = await tempDir('register-model-');
    await writeFile(path.join(dir, 'f'), 'not a directory\n');
    const message = expectOneSentence(await register(dir, { ...model, 'registry-uri': 'f' }));
    expect(message).toBe(
      `The file registry cannot be used: ${path.join(dir, 'f')} is a file, not a directory; set --registry-uri to a directory this run can write to.`,
    );
  });

  it('refuses a registry-uri below a file, and a registry that holds a file where a directory belongs', async () => {
    const dir = await tempDir('register-model-');
    await writeFile(path.join(dir, 'f'), '');
    expect(expectOneSentence(await register(dir, { ...model, 'registry-uri': 'f/registry' }))).toBe(
      `The file registry cannot be used: ${path.join(dir, 'f/registry')} is below ${path.join(dir, 'f')}, which is a file, not a directory; set --registry-uri to a directory this run can write to.`,
    );
    await mkdir(path.join(dir, 'reg', 'models'), { recursive: true });
    await writeFile(path.join(dir, 'reg', 'models', 'churn'), '');
    expect(expectOneSentence(await register(dir, { ...model, 'registry-uri': 'reg' }))).toMatch(
      /^The file registry cannot be used: .*reg holds a file where a directory belongs \(.*reg\/models\/churn\); set --registry-uri/,
    );
  });

  it('refuses a registry with a directory where a version file belongs (EISDIR)', async () => {
    const dir = await tempDir('register-model-');
    expect((await register(dir, { ...model, 'registry-uri': 'reg' })).code).toBe(0);
    await mkdir(path.join(dir, 'reg', 'models', 'churn', 'versions', '2.json'));
    const message = expectOneSentence(await register(dir, { ...model, 'registry-uri': 'reg' }, { GITHUB_SHA: 'other' }));
    expect(message).toBe(`The file registry ${path.join(dir, 'reg')} holds a directory where a registry file belongs; set --registry-uri to a directory this run can write to.`);
  });

  it('refuses a registry directory without write permission (EACCES), run as an unprivileged user', async (context) => {
    // Root ignores permissions, so the real CLI entry runs as `nobody` when the tests run as root.
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    const dir = await tempDir('register-model-');
    await chmod(dir, 0o755);
    await mkdir(path.join(dir, 'reg'), { mode: 0o555 });
    await chmod(path.join(dir, 'reg'), 0o555);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const args = ['register-model', '--model-name', 'churn', '--source', 's3://b/c', '--registry-uri', 'reg'];
    const run = spawnSync(NODE, [CLI_ENTRY, ...args], { cwd: dir, env, encoding: 'utf8', ...(uid === undefined ? {} : { uid, gid: uid }) });
    if (run.error !== undefined && uid !== undefined) {
      context.skip(`cannot run a process as uid ${uid} here (${run.error.message}), so EACCES cannot be produced as root`);
    }
    expect(run.status).toBe(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).toContain(
      `error: The file registry ${path.join(dir, 'reg')} is not writable by this run (permission denied) (${path.join(dir, 'reg', 'models')}); set --registry-uri to a directory this run can write to.`,
    );
  });

  it('refuses a registry-uri that is a file in the Action too, as an ::error naming the input', async () => {
    const dir = await tempDir('register-model-action-');
    await writeFile(path.join(dir, 'f'), 'x');
    const run = runActionScript(path.resolve('src/entrypoints/register-model.ts'), { ...model, 'registry-uri': 'f' }, { cwd: dir, env: { GITHUB_SHA: 'abc' } });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors, run.stdout).toHaveLength(1);
    expect(errors[0]).toMatch(/is a file, not a directory; set input "registry-uri" to a directory this run can write to\.$/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
  });
});

describe('issue 9 item 5: a rejected model is not aliased unless allow-rejected', () => {
  it('refuses --alias champion for a rejected report and writes nothing', async () => {
    const dir = await tempDir('register-model-');
    const report = await rejectedReport(dir);
    const message = expectOneSentence(await register(dir, { ...model, 'registry-uri': 'reg', 'evaluation-report': report, alias: 'champion' }));
    expect(message).toBe(
      'The evaluation report rejected.json rejected this model (the candidate is worse than the champion on f1), so register-model will not point alias "champion" at it: drop --alias to register it without an alias, or set --allow-rejected to true.',
    );
    expect(await createFileRegistry({ directory: path.join(dir, 'reg') }).listVersions('churn')).toEqual([]);
  });

  it('registers a rejected model without an alias, with a warning', async () => {
    const dir = await tempDir('register-model-');
    const run = await register(dir, { ...model, 'registry-uri': 'reg', 'evaluation-report': await rejectedReport(dir) });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: The evaluation report rejected this model .* without an alias\./);
    const version = await createFileRegistry({ directory: path.join(dir, 'reg') }).getVersion('churn', '1');
    expect(version?.tags['evaluation.decision']).toBe('reject');
    expect(version?.aliases).toEqual([]);
  });

  it('points the alias at a rejected model with --allow-rejected true, saying so', async () => {
    const dir = await tempDir('register-model-');
    const run = await register(dir, { ...model, 'registry-uri': 'reg', 'evaluation-report': await rejectedReport(dir), alias: 'champion', 'allow-rejected': 'true' });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*pointing alias "champion" at it anyway, since --allow-rejected is true\./);
    expect((await createFileRegistry({ directory: path.join(dir, 'reg') }).getAlias('churn', 'champion'))?.version).toBe('1');
  });
});

describe('issue 9 item 7: outside GitHub Actions the idempotency key takes the commit from CI variables or the checkout', () => {
  it('uses git rev-parse HEAD of the checkout: a new commit registers a new version, and the log says where it came from', async () => {
    const dir = await tempDir('register-model-');
    await git(dir, ['init', '--quiet', '--initial-branch', 'main']);
    await git(dir, ['commit', '--quiet', '--allow-empty', '-m', 'one']);
    const first = await git(dir, ['rev-parse', 'HEAD']);
    const one = await register(dir, { ...model, 'registry-uri': 'reg' });
    expect(one.stdout).toContain('version=1');
    expect(one.stderr).toContain(`Idempotency key: model, source, run and commit ${first} (from git rev-parse HEAD in ${dir}).`);
    expect(one.stderr).toContain(`| Commit (idempotency key) | \`${first}\` from git rev-parse HEAD in ${dir} |`);
    expect((await register(dir, { ...model, 'registry-uri': 'reg' })).stdout).toContain('created=false');
    await git(dir, ['commit', '--quiet', '--allow-empty', '-m', 'two']);
    const two = await register(dir, { ...model, 'registry-uri': 'reg' });
    expect(two.stdout).toContain('version=2');
    const registry = createFileRegistry({ directory: path.join(dir, 'reg') });
    expect((await registry.getVersion('churn', '1'))?.tags[LINEAGE_TAGS.commit]).toBe(first);
    expect((await registry.getVersion('churn', '2'))?.tags[LINEAGE_TAGS.commit]).toBe(await git(dir, ['rev-parse', 'HEAD']));
  });

  it('prefers another CI system\'s commit variable over the checkout', async () => {
    const dir = await tempDir('register-model-');
    const run = await register(dir, { ...model, 'registry-uri': 'reg' }, { CI_COMMIT_SHA: 'c0ffee' });
    expect(run.stderr).toContain("commit c0ffee (from the CI system's commit variable)");
    expect((await createFileRegistry({ directory: path.join(dir, 'reg') }).getVersion('churn', '1'))?.tags[LINEAGE_TAGS.commit]).toBe('c0ffee');
  });

  it('warns when there is no commit at all', async () => {
    const dir = await tempDir('register-model-');
    const run = await register(dir, { ...model, 'registry-uri': 'reg' });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: No commit found .* is not a git checkout\), so the idempotency key holds only the model, source and run/);
    expect(run.stderr).toContain('| Commit (idempotency key) | none found: re-runs from any commit reuse this version |');
  });
});

describe('issue 9 item 7: --version points an alias at an existing version without registering one', () => {
  async function withVersions(count: number): Promise<string> {
    const dir = await tempDir('register-model-');
    for (let i = 1; i <= count; i++) {
      expect((await register(dir, { ...model, 'registry-uri': 'reg' }, { GITHUB_SHA: `sha-${i}` })).code).toBe(0);
    }
    return dir;
  }

  it('moves the alias to the version, sets tags, and registers nothing', async () => {
    const dir = await withVersions(2);
    const run = await register(dir, { 'model-name': 'churn', version: '1', alias: 'champion', tags: 'approved-by=ops', 'registry-uri': 'reg' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('version=1\nmodel-uri=models:/churn/1\ncreated=false\n');
    expect(run.stderr).toContain('### Aliased `churn` version 1');
    const registry = createFileRegistry({ directory: path.join(dir, 'reg') });
    expect((await registry.listVersions('churn')).map((v) => v.version)).toEqual(['2', '1']);
    const one = await registry.getVersion('churn', '1');
    expect(one?.aliases).toEqual(['champion']);
    expect(one?.tags).toMatchObject({ 'approved-by': 'ops', [LINEAGE_TAGS.commit]: 'sha-1' });
    expect(one?.tags[IDEMPOTENCY_KEY_TAG]).toBeDefined();
  });

  it('refuses a version the model does not have', async () => {
    const dir = await withVersions(1);
    expect(expectOneSentence(await register(dir, { 'model-name': 'churn', version: '7', alias: 'champion', 'registry-uri': 'reg' }))).toBe(
      `Model "churn" has no version 7 in ${path.join(dir, 'reg')}: check --version, or pass --source instead to register a new version.`,
    );
  });

  it('refuses a rolled-back version unless --allow-rolled-back', async () => {
    const dir = await withVersions(1);
    const registry = createFileRegistry({ directory: path.join(dir, 'reg') });
    await registry.setTags('churn', '1', { [ROLLED_BACK_TAG]: 'true', 'ml-gitops.rolled-back-reason': 'latency' });
    const args = { 'model-name': 'churn', version: '1', alias: 'champion', 'registry-uri': 'reg' };
    expect(expectOneSentence(await register(dir, args))).toBe(
      'Version 1 of model "churn" is tagged ml-gitops.rolled-back=true (reason: latency), so register-model will not point alias "champion" at it: point the alias at another version, or set --allow-rolled-back to true.',
    );
    expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
    expect((await register(dir, { ...args, 'allow-rolled-back': 'true' })).code).toBe(0);
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('1');
  });

  it('refuses a rejected report with --version and an alias unless --allow-rejected', async () => {
    const dir = await withVersions(1);
    const run = await register(dir, { 'model-name': 'churn', version: '1', alias: 'champion', 'registry-uri': 'reg', 'evaluation-report': await rejectedReport(dir) });
    expect(expectOneSentence(run)).toMatch(/rejected this model .* will not point alias "champion" at it/);
  });
});
