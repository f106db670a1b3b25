/**
 * evaluate-register.yml executed through nektos/act in host mode: the drift monitor's `model-drift`
 * repository_dispatch starts workflows-examples/retrain.yml, which calls retrain.yml@v1 (the caller's training command,
 * then evaluate-register.yml@v1) against the file registry. The caller's repository holds the manifests too (retrain.yml
 * names no other manifest repository).
 * 1. The candidate is worse than the champion: the decision is reject, the candidate is registered without an alias
 *    (tagged evaluation.decision=reject), the champion keeps its alias, and the job that opens the promotion PR never
 *    runs, so open-promotion-pr is never needed.
 * 2. Once open-promotion-pr is bundled (dist/open-promotion-pr/index.js): a better candidate is registered as
 *    challenger and its promotion PR to staging is opened on the GitHub stand-in, through the Actions-provided
 *    GITHUB_API_URL / GITHUB_GRAPHQL_URL.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../src/commands/register-model/index.ts';
import { createFileRegistry } from '../../src/lib/registry/file.ts';
import { createActSandbox, createCallerRepository, runAct, type ActSandbox } from '../support/act.ts';
import { startGitHubStandIn } from '../support/github-stand-in/index.ts';
import { git, readTree, removeTempDirs, tempDir } from '../support/git-repos.ts';
import { repoRoot } from '../support/python.ts';
import { runCommand } from '../support/run-command.ts';

const FAKE_TOKEN = 'ghs_fake_manifests_token_for_act_0123456789';
const MANIFESTS = path.join(repoRoot, 'test/fixtures/bump-manifest/repo');
const RUN_ID = '0123456789abcdef0123456789abcdef';

/**
 * Held-out predictions of 400 rows: the champion is right on 85 % of them, the candidate on 70 % (`worse`) or 95 %.
 */
function heldOut(candidate: 'worse' | 'better'): string {
  const score = (right: boolean, label: number): string => ((right ? label === 1 : label === 0) ? '0.8' : '0.2');
  const rows = ['label,champion,candidate'];
  for (let i = 0; i < 400; i++) {
    const label = i % 2;
    const candidateRight = candidate === 'worse' ? i % 10 > 2 : i % 20 > 0;
    rows.push(`${label},${score(i % 20 > 2, label)},${score(candidateRight, label)}`);
  }
  return `${rows.join('\n')}\n`;
}

/** The caller's training command, as retrain.yml expects it: predictions in eval/predictions.csv, the run id in eval/run-id. */
const TRAIN_PY = `import argparse, os, shutil
parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
out = parser.parse_args().out
os.makedirs(out, exist_ok=True)
shutil.copyfile("data/holdout.csv", os.path.join(out, "predictions.csv"))
with open(os.path.join(out, "run-id"), "w") as f:
    f.write("${RUN_ID}\\n")
print("trained churn, run ${RUN_ID}")
`;

describe('evaluate-register.yml through act', { timeout: 300_000 }, () => {
  let sandbox: ActSandbox;
  let registryDir: string;
  let caller: string;

  afterAll(removeTempDirs);

  beforeAll(async () => {
    sandbox = await createActSandbox(await tempDir('ml-gitops-act-'));
    registryDir = path.join(sandbox.dir, 'registry');
    await runCommand(registerModel, { 'model-name': 'churn', source: 's3://models/churn/1', alias: 'champion', 'registry-uri': registryDir });
    caller = await createCallerRepository(sandbox, 'acme/churn-service', {
      examples: ['retrain.yml'],
      files: {
        ...(await readTree(MANIFESTS)),
        'train.py': TRAIN_PY,
        'data/holdout.csv': heldOut('worse'),
        '.ml-gitops/policy.yaml': 'rules:\n  - metric: accuracy\n    min: 0.8\n',
      },
    });
  }, 600_000);

  it('a model-drift dispatch retrains; the worse candidate is rejected, registered without an alias, and no PR is opened', async () => {
    const started = Date.now();
    const result = await runAct({
      ...sandbox.run,
      event: 'repository_dispatch',
      payload: { action: 'model-drift', client_payload: { drift: 0.31 } },
      workflow: '.github/workflows/retrain.yml',
      cwd: caller,
      vars: { MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href },
      secrets: { MANIFESTS_TOKEN: FAKE_TOKEN },
    });
    const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-6000)}`;
    expect(result.code, context).toBe(0);
    // The promote job (open-promotion-pr) is skipped: act reports no result for it, and its step never ran.
    expect(result.jobs, context).toEqual({ 'retrain/retrain/train': 'success', 'evaluate/evaluate-register/evaluate': 'success' });
    expect(result.log).not.toContain('"stepID":["pr"]');
    const evaluate = result.outputs['evaluate/evaluate-register/evaluate'];
    expect(evaluate, context).toMatchObject({ decision: 'reject', passed: 'false', created: 'true', version: '2', 'model-uri': 'models:/churn/2' });
    expect(evaluate?.['summary-markdown']).toContain('Rejected because rules[0] (accuracy 0.7 is below the minimum 0.8)');
    expect(result.log).toContain('trained churn, run');
    expect(result.log).not.toContain(FAKE_TOKEN);

    // The artifacts passed between the jobs: the training job's predictions, and the report the PR job would read.
    expect(await fs.readFile(path.join(sandbox.artifacts, 'predictions', 'predictions.csv'), 'utf8')).toBe(heldOut('worse'));
    const report = JSON.parse(await fs.readFile(path.join(sandbox.artifacts, 'evaluation-report', 'evaluation-report.json'), 'utf8')) as { decision?: string };
    expect(report.decision).toBe('reject');

    const registry = createFileRegistry({ directory: registryDir });
    expect((await registry.getVersion('churn', '2'))?.tags).toMatchObject({ 'evaluation.decision': 'reject' });
    expect(await registry.getAlias('churn', 'challenger')).toBeUndefined();
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('1');
  });

  it('a better candidate is registered as challenger and its promotion PR to staging is opened', async () => {
    // The next model, better than the champion on the same rows; the caller's repository is its own manifest repository.
    await fs.writeFile(path.join(caller, 'data/holdout.csv'), heldOut('better'));
    await git(caller, ['commit', '--quiet', '--all', '--message', 'Better features']);
    const bare = path.join(sandbox.gitBase, 'acme/churn-service.git');
    await git(bare, ['fetch', '--quiet', caller, 'main:main']);
    const standIn = await startGitHubStandIn({
      repos: { 'acme/churn-service': bare },
      tokens: [{ token: FAKE_TOKEN, permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } }],
    });
    try {
      const started = Date.now();
      const result = await runAct({
        ...sandbox.run,
        event: 'repository_dispatch',
        payload: { action: 'model-drift', client_payload: { drift: 0.12 } },
        workflow: '.github/workflows/retrain.yml',
        cwd: caller,
        vars: { MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href },
        secrets: { MANIFESTS_TOKEN: FAKE_TOKEN },
        env: { ...sandbox.run.env, GITHUB_API_URL: standIn.url, GITHUB_GRAPHQL_URL: standIn.graphqlUrl },
      });
      const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-6000)}`;
      expect(result.code, context).toBe(0);
      expect(result.jobs, context).toEqual({
        'retrain/retrain/train': 'success',
        'evaluate/evaluate-register/evaluate': 'success',
        'evaluate/evaluate-register/promote': 'success',
      });
      expect(result.outputs['evaluate/evaluate-register/evaluate']).toMatchObject({ decision: 'promote', version: '3' });
      const pr = result.outputs['evaluate/evaluate-register/promote'];
      expect(pr, context).toMatchObject({ operation: 'created', 'pull-request-number': '1', branch: 'ml-gitops/promote/churn/staging' });
      expect(result.log).not.toContain(FAKE_TOKEN);

      const [pull] = standIn.pulls('acme/churn-service');
      expect(pull).toMatchObject({ state: 'open', head: 'ml-gitops/promote/churn/staging', base: 'main' });
      expect(pull?.body).toContain('accuracy');
      expect(await git(bare, ['show', 'ml-gitops/promote/churn/staging:envs/staging/values.yaml'])).toMatch(/version: 3\b/);
      expect(await git(bare, ['show', 'main:envs/staging/values.yaml'])).toMatch(/version: 12\b/);
      expect(standIn.violations).toEqual([]);

      const registry = createFileRegistry({ directory: registryDir });
      expect((await registry.getAlias('churn', 'challenger'))?.version).toBe('3');
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe('1');
    } finally {
      await standIn.stop();
    }
  });
});
