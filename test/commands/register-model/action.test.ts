/** register-model through the GitHub Action adapter: INPUT_* variables in, GITHUB_OUTPUT and the job summary out. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runActionScript } from '../../support/action-runner.ts';

const script = path.resolve('src/entrypoints/register-model.ts');
const workspace = mkdtempSync(path.join(os.tmpdir(), 'register-model-action-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('register-model as a GitHub Action', () => {
  it('registers in the file registry and writes outputs and the job summary', () => {
    const inputs = { 'model-name': 'churn', source: 's3://bucket/churn', alias: 'challenger', tags: 'team=growth\nowner=ml' };
    const env = { GITHUB_SHA: 'abc', GITHUB_REPOSITORY: 'acme/churn', GITHUB_RUN_ID: '9' };
    const first = runActionScript(script, inputs, { cwd: workspace, env });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.outputs).toEqual({ version: '1', 'model-uri': 'models:/churn/1', created: 'true' });
    expect(first.summary).toContain('Registered `churn` version 1');
    const again = runActionScript(script, inputs, { cwd: workspace, env });
    expect(again.outputs).toEqual({ version: '1', 'model-uri': 'models:/churn/1', created: 'false' });
  });

  it('fails with one ::error line and no stack trace on bad input', () => {
    const run = runActionScript(script, { 'model-name': 'team/churn', source: 's3://bucket/churn' }, { cwd: workspace });
    expect(run.status).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Input "model-name" "team\/churn" must not contain/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('refuses an unknown registry scheme', () => {
    const run = runActionScript(script, { 'registry-uri': 's3://bucket/reg', 'model-name': 'churn', source: 's3://b/c' }, { cwd: workspace });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error.*registry-uri.*"s3:"/);
  });
});
