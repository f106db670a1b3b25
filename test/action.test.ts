import { describe, expect, it } from 'vitest';
import { runActionScript } from './support/action-runner.ts';

const SCRIPT = 'test/support/run-echo-action.ts';

describe('GitHub Action adapter', () => {
  it('reads INPUT_* variables (hyphens kept), writes outputs and the job summary', () => {
    const run = runActionScript(SCRIPT, { message: 'hi', 'repeat-count': '3', items: 'x\ny' });
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({ echoed: 'hi hi hi', items: '["x","y"]' });
    expect(run.summary).toContain('## Echo');
  });

  it('annotates a user error with file, line and column, exits 1 and prints no stack', () => {
    const run = runActionScript(SCRIPT, { message: 'hi', 'fail-at': 'envs/prod/values.yaml' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      '::error file=envs/prod/values.yaml,line=3,col=7::The file envs/prod/values.yaml has a bad value on line 3; fix it and run again.',
    );
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('annotates a missing required input', () => {
    const run = runActionScript(SCRIPT, {});
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('::error::Input "message" is required by echo: what to echo.');
  });

  it('masks secrets with ::add-mask:: before they can be logged', () => {
    const run = runActionScript(SCRIPT, { message: 'hi', token: 'hunter22' });
    const mask = run.stdout.indexOf('::add-mask::hunter22');
    expect(mask).toBeGreaterThanOrEqual(0);
    expect(mask).toBeLessThan(run.stdout.indexOf('using token'));
  });

  it('still writes the outputs of a run that completed but fails the step', () => {
    const run = runActionScript(SCRIPT, { message: 'hi', refuse: 'true' });
    expect(run.status).toBe(1);
    expect(run.outputs).toEqual({ echoed: 'refused', items: '[]' });
    expect(run.stdout).toContain('::error::The echo was refused by policy.');
  });

  it('refuses a GITHUB_OUTPUT it cannot write in one sentence, not as a bug with a stack', () => {
    const run = runActionScript(SCRIPT, { message: 'hi' }, { env: { GITHUB_OUTPUT: '/nonexistent-dir/output' } });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('::error::The step\'s outputs cannot be written to GITHUB_OUTPUT (/nonexistent-dir/output): no such file; point GITHUB_OUTPUT at a writable file, as the runner does.');
    expect(run.stdout).not.toContain('bug');
    expect(run.stdout).not.toMatch(/%0A\s+at /);
  });

  it('marks an unexpected error as a bug', () => {
    const run = runActionScript(SCRIPT, { message: 'hi', crash: 'true' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('this is a bug');
  });
});

describe('GitHub Action adapter, as the first week met it', () => {
  it('the root action warns about inputs that belong to another command', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-root-'));
    mkdirSync(path.join(workspace, 'envs'));
    writeFileSync(path.join(workspace, 'envs', 'values.yaml'), 'model:\n  version: 1\n');
    const run = runActionScript(
      path.resolve('src/entrypoints/main.ts'),
      // `token` as the runner fills it from the root action.yml's default (${{ github.token }}), given or not.
      { command: 'bump-manifest', updates: 'envs/values.yaml:model.version=2', 'dry-run': 'true', predictions: 'eval.csv', task: 'binary', token: 'ghs_runnerDefault' },
      { cwd: workspace },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('::warning::bump-manifest does not take the inputs "predictions", "task", so they are ignored');
    expect(run.stdout).not.toContain('"token"');
  });

  it('annotates a manifest error at its path in the workspace, not relative to the `path` input', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-annotate-'));
    mkdirSync(path.join(workspace, 'manifests', 'envs'), { recursive: true });
    writeFileSync(path.join(workspace, 'manifests', 'envs', 'values.yaml'), 'model:\n  version: [1\n');
    const run = runActionScript(
      path.resolve('src/entrypoints/bump-manifest.ts'),
      { path: 'manifests', updates: 'envs/values.yaml:model.version=2', 'dry-run': 'true' },
      { cwd: workspace },
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error file=manifests\/envs\/values\.yaml,line=\d+/);
  });
});
