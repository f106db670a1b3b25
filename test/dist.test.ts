/**
 * The committed bundles, run the way users run them: `node dist/<action>/index.js` with INPUT_* variables, GITHUB_OUTPUT
 * and GITHUB_STEP_SUMMARY files as the runner sets them; the root action with `command`; and `npx ml-gitops`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runActionScript } from './support/action-runner.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, removeTempDirs, showFile, tempDir } from './support/git-repos.ts';

const root = path.resolve(import.meta.dirname, '..');
const fixture = (name: string): string => path.join(root, 'test', 'fixtures', 'evaluate-model', name);
const POLICY = 'rules:\n  - metric: roc_auc\n    min: 0.5\n';

afterAll(removeTempDirs);

describe('dist/evaluate-model', () => {
  it('reads INPUT_* variables, writes outputs, the summary and the report', async () => {
    const run = runActionScript(path.join(root, 'dist/evaluate-model/index.js'), {
      predictions: fixture('binary-ties.csv'),
      task: 'binary',
      policy: POLICY,
      'label-column': 'label',
      'fail-on-reject': 'true',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.outputs.decision).toBe('promote');
    expect(run.outputs.passed).toBe('true');
    expect(Object.keys(JSON.parse(run.outputs.metrics ?? '{}'))).toContain('roc_auc');
    const report = JSON.parse(fs.readFileSync(run.outputs['report-path'] ?? '', 'utf8'));
    expect(report.decision).toBe('promote');
    expect(run.summary).toContain('roc_auc');
  });

  it('annotates bad input with the file and exits 1 without a stack', () => {
    const run = runActionScript(path.join(root, 'dist/evaluate-model/index.js'), { predictions: 'missing.csv', task: 'binary' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error[^\n]*missing\.csv/);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('runs through the root action with command: evaluate-model', () => {
    const run = runActionScript(path.join(root, 'dist/main/index.js'), {
      command: 'evaluate-model',
      predictions: fixture('binary-ties.csv'),
      task: 'binary',
    });
    expect(run.status).toBe(0);
    expect(run.outputs.decision).toBe('promote');
  });

  it('refuses an unknown command on the root action with a hint', () => {
    const run = runActionScript(path.join(root, 'dist/main/index.js'), { command: 'evaluate-modle' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('(did you mean "evaluate-model"?)');
  });

  it('runs as npx ml-gitops evaluate-model --json', () => {
    const result = spawnSync('npx', ['--no-install', 'ml-gitops', 'evaluate-model', '--predictions', fixture('binary-ties.csv'), '--task', 'binary', '--json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, RUNNER_TEMP: path.join(root, '.tmp') },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).decision).toBe('promote');
  });
});

describe('dist/bump-manifest', () => {
  it('edits a checkout, commits without a git identity, pushes and sets its outputs', async () => {
    const remote = await createRemote({ 'envs/production/values.yaml': '# prod\nmodel:\n  name: churn # the model\n  version: 12\n' });
    const checkout = await cloneRemote(remote, 'work');
    const home = await tempDir('ml-gitops-home-');
    const run = runActionScript(
      path.join(root, 'dist/bump-manifest/index.js'),
      {
        path: checkout,
        updates: 'envs/production/values.yaml:model.version=13',
        'model-name': 'churn',
        'model-version': '13',
        environment: 'production',
      },
      { env: isolatedGitEnv(home), cwd: checkout },
    );
    expect(run.stdout).not.toContain('::error');
    expect(run.status).toBe(0);
    expect(run.outputs.changed).toBe('true');
    expect(JSON.parse(run.outputs.previous ?? '{}')).toEqual({ 'envs/production/values.yaml:model.version': '12' });
    expect(await showFile(remote, 'main', 'envs/production/values.yaml')).toBe('# prod\nmodel:\n  name: churn # the model\n  version: 13');
    expect(await git(remote.bare, ['rev-parse', 'main'])).toBe(run.outputs['commit-sha']);
    const trailers = await git(remote.bare, ['log', '-1', '--format=%(trailers:key=Model-Version,valueonly)', 'main']);
    expect(trailers).toBe('13');
  });

  it('works as npx ml-gitops bump-manifest in a dry run', async () => {
    const remote = await createRemote({ 'values.yaml': 'image:\n  tag: "1.0"\n' });
    const checkout = await cloneRemote(remote, 'dry');
    const result = spawnSync(
      'npx',
      ['--no-install', 'ml-gitops', 'bump-manifest', '--path', checkout, '--updates', 'values.yaml:image.tag=1.1', '--dry-run', '--json'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    const outputs = JSON.parse(result.stdout);
    expect(outputs.changed).toBe(true);
    expect(outputs.diff).toContain('+  tag: "1.1"');
    expect(fs.readFileSync(path.join(checkout, 'values.yaml'), 'utf8')).toBe('image:\n  tag: "1.0"\n');
  });
});

describe('dist/register-model', () => {
  it('registers into a file registry and sets its outputs', async () => {
    const workspace = await tempDir('ml-gitops-registry-');
    const inputs = { 'registry-uri': 'registry', 'model-name': 'churn', source: 's3://models/churn/1' };
    const first = runActionScript(path.join(root, 'dist/register-model/index.js'), inputs, { cwd: workspace });
    expect(first.stdout).not.toContain('::error');
    expect(first.status).toBe(0);
    expect(first.outputs).toMatchObject({ version: '1', 'model-uri': 'models:/churn/1', created: 'true' });
    expect(first.summary).toContain('churn');
    const again = runActionScript(path.join(root, 'dist/register-model/index.js'), inputs, { cwd: workspace });
    expect(again.outputs).toMatchObject({ version: '1', created: 'false' });
  });

  it('registers against the real MLflow server', () => {
    const run = runActionScript(path.join(root, 'dist/register-model/index.js'), {
      'registry-uri': inject('mlflowUrl'),
      'model-name': `dist-e2e-${Date.now()}`,
      source: 's3://models/churn/7',
      alias: 'challenger',
    });
    expect(run.stdout).not.toContain('::error');
    expect(run.status).toBe(0);
    expect(run.outputs.version).toBe('1');
    expect(run.summary).toContain('/#/models/');
  });
});
