/**
 * `npm run demo`: the whole promotion loop in a local sandbox, through the real bundles (`dist/`), as a workflow runs
 * them (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). No network, no credentials: a bare git remote holds the
 * manifests (staging and production), the file registry holds the models, and the GitHub stand-in, the Argo CD
 * simulator and (where it is installed) a real Prometheus run as processes on free ports.
 *
 *   1. candidate 2 beats the champion → registered → promotion PR → merged → Argo CD syncs → wait succeeds;
 *   2. candidate 3 looks better offline but serves worse → promoted → the post-deployment analysis fails (or, without
 *      Prometheus, Argo CD reports it Degraded) → automatic rollback → version 2 runs again, alias moved back, 3 tagged;
 *   3. a re-promotion of version 3 is refused.
 *
 * `--keep` leaves the sandbox and the stand-ins running for exploration (Ctrl-C stops them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLedgerTrailers } from '../src/lib/ledger.ts';
import { prometheusBinary } from '../test/support/prometheus.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.execPath;
const KEEP = process.argv.includes('--keep');
const MODEL = 'churn';
const REPOSITORY = 'acme/manifests';
const TOKEN = 'ghs_demo_token_0123456789abcdef';
const ARGO_TOKEN = 'demo-argocd-token';
const BOT = { GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.test', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.test' };

const started = Date.now();
/** How to stop everything the demo started, newest first. */
const stoppers: Array<() => Promise<void>> = [];
const timeline: Array<{ step: string; result: string; ms: number }> = [];
/** The sandbox, once made: kept when the demo fails, for a look at the step logs. */
let sandboxDir: string | undefined;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function note(step: string, result: string, since: number): void {
  const ms = Date.now() - since;
  timeline.push({ step, result, ms });
  process.stdout.write(`  ${seconds(Date.now() - started).padStart(7)}  ${step.padEnd(52)} ${result}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------------------

function git(cwd: string, args: string[]): string {
  const result = spawnSyncText('git', args, cwd, { ...isolatedEnv(cwd), ...BOT });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function spawnSyncText(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig-none'), LC_ALL: 'C' };
}

/** Starts a stand-in that prints one JSON line when ready; resolves with that line. */
function startService(script: string, args: string[], cwd: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(ROOT, script), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    stoppers.unshift(() => stopChild(child));
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((candidate) => candidate.trim().startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, string>);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

async function stopAll(): Promise<void> {
  for (const stop of stoppers.splice(0)) await stop().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------------
// Steps: the bundles, run the way the Actions runner runs them
// ---------------------------------------------------------------------------------------------------------------

interface StepResult {
  ok: boolean;
  outputs: Record<string, string>;
  log: string;
}

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (heredoc) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i] ?? '');
      outputs[heredoc[1] as string] = value.join('\n');
    } else if ((lines[i] ?? '').includes('=')) {
      const line = lines[i] as string;
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

interface Sandbox {
  dir: string;
  workspace: string;
  bare: string;
  env: Record<string, string>;
}

let stepCount = 0;
function runAction(box: Sandbox, action: string, inputs: Record<string, string>): Promise<StepResult> {
  stepCount++;
  const stepDir = path.join(box.dir, 'steps', `${String(stepCount).padStart(2, '0')}-${action}`);
  mkdirSync(stepDir, { recursive: true });
  const outputFile = path.join(stepDir, 'outputs');
  const summaryFile = path.join(stepDir, 'summary.md');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: NodeJS.ProcessEnv = { ...box.env, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, RUNNER_TEMP: stepDir };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise((resolve) => {
    const child = spawn(NODE, [path.join(ROOT, 'dist', action, 'index.js')], { cwd: box.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.once('exit', (code) => {
      writeFileSync(path.join(stepDir, 'log.txt'), log);
      resolve({ ok: code === 0, outputs: parseOutputs(readFileSync(outputFile, 'utf8')), log });
    });
  });
}

function errorLine(log: string): string {
  const line = log.split('\n').find((candidate) => candidate.startsWith('::error'));
  return line === undefined ? 'failed' : line.replace(/^::error[^:]*::/, '');
}

// ---------------------------------------------------------------------------------------------------------------
// The sandbox
// ---------------------------------------------------------------------------------------------------------------

/** Held-out predictions: label, the champion's score and the candidate's, with the candidate `edge` more accurate. */
function predictions(seed: number, championAccuracy: number, candidateAccuracy: number): string {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const rows = ['label,champion,candidate'];
  for (let i = 0; i < 2000; i++) {
    const label = random() < 0.5 ? 1 : 0;
    const score = (accuracy: number): string => {
      const right = random() < accuracy;
      const positive = right ? label === 1 : label === 0;
      const value = positive ? 0.5 + random() * 0.5 : random() * 0.49;
      return value.toFixed(4);
    };
    rows.push(`${label},${score(championAccuracy)},${score(candidateAccuracy)}`);
  }
  return `${rows.join('\n')}\n`;
}

const values = (version: number, environment: string): string =>
  `# Helm values of churn-serving in ${environment}.\nreplicaCount: 2\n\nmodel:\n  name: ${MODEL}\n  version: ${version} # set by ml-gitops\n`;

async function buildSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-demo-'));
  sandboxDir = dir;
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const seed = path.join(dir, 'seed');
  mkdirSync(path.join(seed, 'envs', 'staging'), { recursive: true });
  mkdirSync(path.join(seed, 'envs', 'production'), { recursive: true });
  writeFileSync(path.join(seed, 'envs', 'staging', 'values.yaml'), values(1, 'staging'));
  writeFileSync(path.join(seed, 'envs', 'production', 'values.yaml'), values(1, 'production'));
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  git(seed, ['add', '--all']);
  // The seed commit is a ledger entry: version 1 runs in both environments.
  const message = withLedgerTrailers('Promote churn 1 to staging and production', {
    modelName: MODEL,
    modelVersion: '1',
    environment: 'staging',
    updates: [{ file: 'envs/staging/values.yaml', selector: 'model.version', value: '1' }],
  });
  git(seed, ['commit', '--quiet', '-m', message]);
  const bare = path.join(dir, 'manifests.git');
  git(dir, ['clone', '--quiet', '--bare', seed, bare]);
  rmSync(seed, { recursive: true, force: true });
  const workspace = path.join(dir, 'workspace');
  git(dir, ['clone', '--quiet', bare, workspace]);
  mkdirSync(path.join(workspace, 'eval'));
  writeFileSync(path.join(workspace, 'eval', 'candidate-2.csv'), predictions(2, 0.84, 0.9));
  writeFileSync(path.join(workspace, 'eval', 'candidate-3.csv'), predictions(3, 0.9, 0.93));
  writeFileSync(
    path.join(workspace, 'eval', 'policy.yaml'),
    'significance:\n  confidence: 0.95\n  resamples: 300\n  seed: 7\nrules:\n  - metric: accuracy\n    min: 0.8\n  - metric: roc_auc\n    min_improvement: 0\n',
  );
  writeFileSync(
    path.join(workspace, 'eval', 'analysis.yaml'),
    'interval: 2s\ncount: 3\ninconclusive: fail\nmetrics:\n  - name: accuracy\n    query: max(model_accuracy{model="{model}", version="{version}"})\n    min: 0.8\n',
  );
  const env: Record<string, string> = {
    ...(isolatedEnv(home) as Record<string, string>),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SERVER_URL: 'http://github.invalid',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: 'd0d0cafe'.repeat(5),
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_ACTOR: 'demo',
  };
  return { dir, workspace, bare, env };
}

// ---------------------------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  for (const action of ['evaluate-model', 'register-model', 'bump-manifest', 'wait-for-argo-sync', 'rollback']) {
    if (!existsSync(path.join(ROOT, 'dist', action, 'index.js'))) {
      console.error(`dist/${action}/index.js is missing; run npm run build first.`);
      return 1;
    }
  }
  process.stdout.write('ml-gitops demo: the promotion loop in a local sandbox\n\n');
  let since = Date.now();
  const box = await buildSandbox();
  const registry = path.join(box.workspace, '.ml-gitops', 'registry');

  const withPullRequests = existsSync(path.join(ROOT, 'dist', 'open-promotion-pr', 'index.js'));
  const github = withPullRequests
    ? await startService('test/support/github-stand-in/main.ts', ['--port', '0', '--repo', `${REPOSITORY}=${box.bare}`, '--token', `${TOKEN}:contents=write,pull-requests=write,issues=write`], box.dir)
    : { url: 'http://127.0.0.1:9', graphqlUrl: 'http://127.0.0.1:9/graphql' };
  const promBinary = prometheusBinary();
  const simConfig = path.join(box.dir, 'argocd-sim.json');
  writeFileSync(
    simConfig,
    JSON.stringify({
      tokens: { [ARGO_TOKEN]: 'demo' },
      pollIntervalMs: 600_000,
      apps: [
        { name: 'churn-staging', repo: box.bare, path: 'envs/staging', labels: { model: MODEL, env: 'staging' } },
        { name: 'churn-production', repo: box.bare, path: 'envs/production', labels: { model: MODEL, env: 'production' }, automated: false },
      ],
      metrics: { [MODEL]: { '1': { accuracy: 0.86 }, '2': { accuracy: 0.9 }, '3': { accuracy: 0.62 } } },
      // Without Prometheus the bad version shows as a crash-looping workload instead of a metric regression.
      ...(promBinary === undefined ? { bad: { '3': 'Back-off restarting failed container model-server: accuracy self-test failed' } } : {}),
    }),
  );
  const argocd = await startService('test/support/argocd-simulator/main.ts', ['--port', '0', '--config', simConfig], box.dir);
  let prometheusUrl: string | undefined;
  if (promBinary !== undefined) {
    const { startPrometheus, waitForSeries } = await import('../test/support/prometheus.ts');
    const metricsTarget = new URL(argocd.metricsUrl as string).host;
    const prometheus = await startPrometheus({ targets: [metricsTarget], scrapeIntervalSeconds: 1 });
    stoppers.unshift(() => prometheus.stop());
    prometheusUrl = prometheus.url;
    // Prometheus discovers a new target within about 5 s; the analysis needs the model's metrics from the start.
    await waitForSeries(prometheus.url, 'model_accuracy', 30_000);
  }
  box.env.GITHUB_API_URL = github.url as string;
  box.env.GITHUB_GRAPHQL_URL = github.graphqlUrl as string;
  note(withPullRequests ? 'sandbox, GitHub stand-in, Argo CD simulator' : 'sandbox, Argo CD simulator', prometheusUrl === undefined ? 'ready (no Prometheus: Degraded path)' : 'ready (real Prometheus)', since);

  const argoInputs = { server: argocd.url as string, 'auth-token': ARGO_TOKEN, plaintext: 'true' };
  const analysisInputs: Record<string, string> =
    prometheusUrl === undefined ? {} : { 'prometheus-url': prometheusUrl, analysis: 'eval/analysis.yaml', 'model-name': MODEL };

  // Version 1 is the champion.
  since = Date.now();
  const v1 = await runAction(box, 'register-model', { 'model-name': MODEL, source: 's3://models/churn/1', alias: 'champion', tags: 'metric.accuracy=0.86' });
  if (!v1.ok) throw new Error(`registering version 1 failed: ${errorLine(v1.log)}`);
  note('register-model churn 1 (champion)', `version ${v1.outputs.version}`, since);

  // 1. A better candidate goes all the way.
  since = Date.now();
  const gate2 = await runAction(box, 'evaluate-model', { predictions: 'eval/candidate-2.csv', task: 'binary', policy: 'eval/policy.yaml', 'report-path': path.join(box.dir, 'report-2.json') });
  note('evaluate-model candidate 2 vs champion', gate2.outputs.decision ?? errorLine(gate2.log), since);
  if (gate2.outputs.decision !== 'promote') throw new Error(`candidate 2 was not promoted: ${errorLine(gate2.log)}`);
  since = Date.now();
  const v2 = await runAction(box, 'register-model', { 'model-name': MODEL, source: 's3://models/churn/2', alias: 'champion', 'evaluation-report': gate2.outputs['report-path'] ?? '' });
  note('register-model churn 2 (champion)', v2.ok ? `version ${v2.outputs.version}` : errorLine(v2.log), since);
  // The promotion goes through a PR when open-promotion-pr is bundled; until then it is pushed directly.
  since = Date.now();
  let merged: string;
  let pullRequestBody: string | undefined;
  if (withPullRequests) {
    const pr = await runAction(box, 'open-promotion-pr', {
      token: TOKEN,
      'model-name': MODEL,
      'model-version': '2',
      environment: 'staging',
      updates: 'envs/staging/values.yaml:model.version=2',
      'evaluation-report': gate2.outputs['report-path'] ?? '',
      labels: 'ml-gitops, staging',
    });
    note('open-promotion-pr churn 2 → staging', pr.ok ? `PR #${pr.outputs['pull-request-number']} ${pr.outputs.operation}` : errorLine(pr.log), since);
    if (!pr.ok) throw new Error('the promotion PR failed');
    since = Date.now();
    const number = pr.outputs['pull-request-number'] ?? '';
    pullRequestBody = path.join(box.dir, `pull-request-${number}.md`);
    writeFileSync(pullRequestBody, await pullRequestText(github.url as string, number));
    merged = await mergePullRequest(github.url as string, number);
    note('a reviewer merges the PR', `merge commit ${merged.slice(0, 12)}`, since);
    git(box.workspace, ['pull', '--quiet', '--ff-only']);
  } else {
    const bump2 = await runAction(box, 'bump-manifest', { updates: 'envs/staging/values.yaml:model.version=2', 'model-name': MODEL, 'model-version': '2', environment: 'staging' });
    if (!bump2.ok) throw new Error(`bumping version 2 failed: ${errorLine(bump2.log)}`);
    merged = bump2.outputs['commit-sha'] ?? '';
    note('bump-manifest churn 2 → staging (direct, no PR)', `commit ${merged.slice(0, 12)}`, since);
  }
  since = Date.now();
  const wait2 = await runAction(box, 'wait-for-argo-sync', { ...argoInputs, applications: 'churn-staging', revision: merged, 'model-version': '2', environment: 'staging', ...analysisInputs });
  note('wait-for-argo-sync churn-staging at version 2', wait2.outputs.result ?? errorLine(wait2.log), since);
  if (wait2.outputs.result !== 'healthy') throw new Error(`version 2 did not become healthy: ${errorLine(wait2.log)}`);

  // 2. A candidate that looks better offline but serves worse.
  since = Date.now();
  const gate3 = await runAction(box, 'evaluate-model', { predictions: 'eval/candidate-3.csv', task: 'binary', policy: 'eval/policy.yaml', 'report-path': path.join(box.dir, 'report-3.json') });
  note('evaluate-model candidate 3 vs champion', gate3.outputs.decision ?? errorLine(gate3.log), since);
  since = Date.now();
  const v3 = await runAction(box, 'register-model', { 'model-name': MODEL, source: 's3://models/churn/3', alias: 'champion', 'evaluation-report': gate3.outputs['report-path'] ?? '' });
  note('register-model churn 3 (champion)', v3.ok ? `version ${v3.outputs.version}` : errorLine(v3.log), since);
  since = Date.now();
  const bump3 = await runAction(box, 'bump-manifest', { updates: 'envs/staging/values.yaml:model.version=3', 'model-name': MODEL, 'model-version': '3', environment: 'staging' });
  note('bump-manifest churn 3 → staging (direct push)', bump3.ok ? `commit ${(bump3.outputs['commit-sha'] ?? '').slice(0, 12)}` : errorLine(bump3.log), since);
  since = Date.now();
  const wait3 = await runAction(box, 'wait-for-argo-sync', { ...argoInputs, applications: 'churn-staging', revision: bump3.outputs['commit-sha'] ?? '', 'model-version': '3', environment: 'staging', ...analysisInputs });
  const failure = errorLine(wait3.log);
  note('wait-for-argo-sync churn-staging at version 3', `${wait3.outputs.result ?? 'failed'}: ${failure.slice(0, 90)}`, since);
  if (wait3.ok) throw new Error('version 3 was expected to fail after deployment');

  since = Date.now();
  const rolled = await runAction(box, 'rollback', {
    'model-name': MODEL,
    environment: 'staging',
    reason: failure,
    alias: 'champion',
    ...argoInputs,
    applications: 'churn-staging',
  });
  note('rollback churn in staging (automatic)', rolled.ok ? `${rolled.outputs['from-version']} → ${rolled.outputs['to-version']}, alias moved: ${rolled.outputs['alias-moved']}, Argo CD: ${rolled.outputs['argocd-result']}` : errorLine(rolled.log), since);
  if (!rolled.ok) throw new Error('the rollback failed');

  // 3. The bad version cannot come back by accident.
  since = Date.now();
  git(box.workspace, ['pull', '--quiet', '--ff-only']);
  const again = await runAction(box, 'bump-manifest', { updates: 'envs/staging/values.yaml:model.version=3', 'model-name': MODEL, 'model-version': '3', environment: 'staging' });
  note('bump-manifest churn 3 → staging again', again.ok ? 'promoted (unexpected!)' : 'refused: version 3 is tagged rolled back', since);
  if (again.ok) throw new Error('the rolled-back version was promoted again');

  const total = Date.now() - started;
  process.stdout.write(`\nThe loop ran in ${seconds(total)}. Where to look:\n`);
  process.stdout.write(`  sandbox:          ${box.dir}${KEEP ? '' : ' (removed; run with --keep to keep it)'}\n`);
  process.stdout.write(`  the job summaries: ${path.join(box.dir, 'steps')}/*/summary.md\n`);
  if (pullRequestBody !== undefined) process.stdout.write(`  the PR body:      ${pullRequestBody}\n`);
  process.stdout.write(`  the ledger:       git -C ${box.bare} log --format='%h %s%n%(trailers:only)'\n`);
  process.stdout.write(`  the registry:     ${registry}\n`);
  if (KEEP) {
    process.stdout.write(`${withPullRequests ? `  GitHub stand-in:  ${github.url}\n` : ''}  Argo CD:          ${argocd.url} (token ${ARGO_TOKEN})\n${prometheusUrl === undefined ? '' : `  Prometheus:       ${prometheusUrl}\n`}\nCtrl-C stops the stand-ins.\n`);
    // Ctrl-C, or a SIGTERM from a supervisor: either way the stand-ins are stopped before exiting.
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  } else {
    rmSync(box.dir, { recursive: true, force: true });
  }
  return 0;
}

/** The promotion PR as a reviewer sees it: its title and body (the evaluation table and the manifest diff). */
async function pullRequestText(apiUrl: string, number: string): Promise<string> {
  const response = await fetch(`${apiUrl}/repos/${REPOSITORY}/pulls/${number}`, {
    headers: { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json' },
  });
  const body = (await response.json()) as { title?: string; body?: string | null; message?: string };
  if (!response.ok || body.title === undefined) throw new Error(`reading PR #${number} failed: ${response.status} ${body.message ?? ''}`);
  return `# ${body.title}\n\n${body.body ?? ''}\n`;
}

async function mergePullRequest(apiUrl: string, number: string): Promise<string> {
  const response = await fetch(`${apiUrl}/repos/${REPOSITORY}/pulls/${number}/merge`, {
    method: 'PUT',
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: JSON.stringify({ merge_method: 'merge' }),
  });
  const body = (await response.json()) as { sha?: string; message?: string };
  if (!response.ok || body.sha === undefined) throw new Error(`merging PR #${number} failed: ${response.status} ${body.message ?? ''}`);
  return body.sha;
}

let code: number;
try {
  code = await main();
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  if (sandboxDir !== undefined) console.error(`The sandbox is kept for a look: ${sandboxDir} (each step's log is in steps/*/log.txt).`);
  code = 1;
} finally {
  await stopAll();
}
process.exit(code);
