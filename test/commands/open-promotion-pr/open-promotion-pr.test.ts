/**
 * open-promotion-pr as users run it, against the strict GitHub stand-in: inputs and their sentences, outputs, the
 * job summary (PR link, what changed, API calls), the GITHUB_TOKEN warning, the rolled-back guard with the file
 * registry, one run through the CLI process, one through the Action adapter (INPUT_*, GITHUB_OUTPUT), a server that
 * answers HTML, and the token never in a log, summary, error or request URL.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli.ts';
import { openPromotionPr } from '../../../src/commands/open-promotion-pr/index.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { rolledBackTags } from '../../../src/lib/registry/rolled-back.ts';
import { runActionScript } from '../../support/action-runner.ts';
import { flags, NODE, runCliProcess } from '../../support/cli-process.ts';
import { removeTempDirs, tempDir } from '../../support/git-repos.ts';
import { commandError, runCommand } from '../../support/run-command.ts';
import { REPO, REPORT, SEED_FILES, startFixture, TOKENS, type Fixture } from '../../lib/promotion-pr/helpers.ts';
import { createSeededBareRepository } from '../../support/github-stand-in/index.ts';

let f: Fixture;
let workspace: string;
const seen: string[] = [];

const INPUTS = {
  'model-name': 'churn',
  'model-version': '7',
  environment: 'prod',
  base: 'main',
  updates: 'envs/prod/values.yaml:model.version=7',
  'evaluation-report': 'eval/report.json',
};

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { GITHUB_TOKEN: TOKENS.actions, GITHUB_API_URL: f.standIn.url, GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: '77', GITHUB_SERVER_URL: 'https://github.com', ...extra };
}

async function run(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const result = await runCommand(openPromotionPr, inputs, { env: env(extraEnv), workspace });
  seen.push(...result.ctx.infos, ...result.ctx.warnings, ...result.ctx.summaries, JSON.stringify(result.outputs));
  return result;
}

async function refused(inputs: Record<string, string>, extraEnv: Record<string, string> = {}, style: 'action' | 'cli' = 'action'): Promise<string> {
  const error = await commandError(openPromotionPr, inputs, { env: env(extraEnv), workspace, style });
  seen.push(error.message, String(error.stack));
  return error.message;
}

beforeEach(async () => {
  f = await startFixture();
  workspace = await tempDir('ml-gitops-promotion-ws-');
  await mkdir(path.join(workspace, 'eval'), { recursive: true });
  await writeFile(path.join(workspace, 'eval/report.json'), JSON.stringify(REPORT));
});

afterEach(async () => {
  expect(f.standIn.violations).toEqual([]);
  const everything = [...f.standIn.requests.map((r) => r.url), ...f.logs, ...seen].join('\n');
  for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
  seen.length = 0;
  await f.standIn.stop();
});

afterAll(() => removeTempDirs());

describe('open-promotion-pr', () => {
  it('opens the PR, writes the outputs and a job summary, warns about GITHUB_TOKEN; a rerun reports unchanged', async () => {
    const first = await run(INPUTS);
    expect(first.outputs).toEqual({
      'pull-request-number': 1,
      'pull-request-url': 'https://github.com/acme/manifests/pull/1',
      'pull-request-head-sha': await f.tip('ml-gitops/promote/churn/prod'),
      operation: 'created',
      branch: 'ml-gitops/promote/churn/prod',
      superseded: [],
      'auto-merge': 'off',
    });
    const summary = first.ctx.summaries.join('\n');
    expect(summary).toContain('[#1](https://github.com/acme/manifests/pull/1) (`ml-gitops/promote/churn/prod` → `main`): opened.');
    expect(summary).toContain('- opened pull request #1');
    expect(summary).toMatch(/GitHub API: \d+ requests \(1 read, \d+ write\)\./);
    expect(summary).toContain('GITHUB_TOKEN: pull requests and commits it creates start no workflow runs');
    expect(first.ctx.warnings.join('\n')).toContain('Pass a GitHub App installation token (actions/create-github-app-token) or a personal access token in input "token" instead.');
    const body = f.standIn.pulls(REPO)[0]?.body ?? '';
    expect(body).toContain('[workflow run](https://github.com/acme/manifests/actions/runs/77)');
    expect(body).toContain('### Evaluation: ✅ promote');

    const before = f.standIn.requests.length;
    const rerun = await run(INPUTS, { GITHUB_RUN_ID: '78' });
    expect(rerun.outputs).toMatchObject({ operation: 'unchanged', 'pull-request-number': 1 });
    expect(f.standIn.counts(before)).toMatchObject({ total: 1, writes: 0 });
    expect(rerun.ctx.summaries.join('\n')).toContain('already up to date: nothing was written.');
    expect(rerun.ctx.summaries.join('\n')).toContain('GitHub API: 1 request (1 read, 0 write).');
  });

  it('stays green with a warning in the job summary when the GITHUB_TOKEN cannot request team-reviewers; draft follows the input', async () => {
    f.standIn.settings(REPO, { teams: ['ml-platform'] });
    const result = await run({ ...INPUTS, reviewers: 'alice', 'team-reviewers': 'ml-platform', draft: 'true' });
    expect(result.outputs).toMatchObject({ operation: 'created', 'pull-request-number': 1 });
    const summary = result.ctx.summaries.join('\n');
    expect(summary).toContain('> ⚠️ Skipped team reviewers ml-platform: the token in input "token" cannot see the team ml-platform (input "team-reviewers")');
    expect(summary).toContain('GitHub App token with the organisation permission "Members: read"');
    expect(f.standIn.pulls(REPO)[0]).toMatchObject({ draft: true, requestedReviewers: ['alice'], requestedTeams: [] });
    // draft: false marks it ready; an empty draft leaves it as it is.
    expect((await run({ ...INPUTS, draft: 'false' })).outputs).toMatchObject({ operation: 'updated' });
    expect(f.standIn.pulls(REPO)[0]?.draft).toBe(false);
    f.standIn.pulls(REPO)[0]!.draft = true;
    expect((await run(INPUTS)).outputs).toMatchObject({ operation: 'unchanged' });
    expect(f.standIn.pulls(REPO)[0]?.draft).toBe(true);
  });

  it('fails naming labels when the token may not create a missing label, with the PR it opened in the outputs', async () => {
    const error = await commandError(openPromotionPr, { ...INPUTS, labels: 'promotion' }, { env: env({ GITHUB_TOKEN: TOKENS.noLabelCreation }), workspace });
    seen.push(error.message);
    expect(error.message).toBe(
      'The token in input "token" may not create labels in acme/manifests, and the label ml-gitops (input "labels") does not exist there yet: create it once by hand (Issues > Labels > New label), or give the token `issues: write` (in the workflow: `permissions: { issues: write }`).',
    );
    expect(error.outputs).toMatchObject({ 'pull-request-number': 1, operation: 'created', branch: 'ml-gitops/promote/churn/prod' });
  });

  it('does not warn with an App or personal token', async () => {
    const result = await run(INPUTS, { GITHUB_TOKEN: TOKENS.pat });
    expect(result.ctx.warnings).toEqual([]);
    expect(result.ctx.summaries.join('\n')).not.toContain('GITHUB_TOKEN');
  });

  it('opens the PR for a head-branch', async () => {
    await f.push('main', {}, 'noop');
    const main = (await f.tip('main')) as string;
    await f.store.compareAndSwap('refs/heads/promote/churn-7', main, '0000000000000000000000000000000000000000');
    await f.push('promote/churn-7', { 'envs/prod/values.yaml': SEED_FILES['envs/prod/values.yaml'].replace('"6"', '"7"') }, 'Bump churn to 7 in prod\n\nModel-Name: churn\nPrevious-Version: 6\n');
    const { updates: _, ...rest } = INPUTS;
    const result = await run({ ...rest, 'head-branch': 'promote/churn-7' });
    expect(result.outputs).toMatchObject({ operation: 'created', branch: 'promote/churn-7' });
  });

  it('refuses to promote a version the file registry tags as rolled back, unless allow-rolled-back', async () => {
    const registry = createFileRegistry({ directory: path.join(workspace, '.ml-gitops/registry') });
    await registry.ensureModel('churn');
    await registry.createVersion({ name: 'churn', source: 's3://m/1', tags: {}, idempotencyKey: { tag: 'run', value: '1' } });
    const [latest] = await registry.listVersions('churn');
    expect(latest?.version).toBe('1');
    await registry.setTags('churn', '1', rolledBackTags({ reason: 'latency doubled', environment: 'prod', runUrl: undefined, at: new Date('2026-12-01T10:00:00Z') }));
    const inputs = { ...INPUTS, 'model-version': '1', updates: 'envs/prod/values.yaml:model.version=1' };
    expect(await refused(inputs)).toBe(
      'Version 1 of model "churn" is tagged ml-gitops.rolled-back=true (reason: latency doubled; rolled back in prod at 2026-12-01T10:00:00.000Z), so open-promotion-pr will not promote it again: promote another version, or set input "allow-rolled-back" to true if it is fixed.',
    );
    expect(f.standIn.requests).toEqual([]);
    expect((await run({ ...inputs, 'allow-rolled-back': 'true' })).outputs.operation).toBe('created');
  });

  it('says what is wrong with the inputs, naming them', async () => {
    const { updates: _, ...noChange } = INPUTS;
    expect(await refused(INPUTS, { GITHUB_TOKEN: '' })).toMatch(/^Input "token" is required by open-promotion-pr \(or set GITHUB_TOKEN or GH_TOKEN\)/);
    // Given but empty (an unset secret or variable in the expression) is told apart from not given at all.
    expect(await refused({ ...INPUTS, 'model-name': '' })).toBe(
      'Input "model-name" is empty (on a runner, a required input left out of `with:` arrives empty, and so does an unset variable such as ${{ secrets.NAME }}), but open-promotion-pr requires it: the model promoted.',
    );
    expect(await refused(noChange)).toBe('open-promotion-pr needs input "updates" or input "head-branch"; set one of them (the change is either edited here or already on a branch).');
    expect(await refused({ ...INPUTS, 'head-branch': 'x' })).toContain('Input "updates" and input "head-branch" cannot be used together');
    expect(await refused({ ...INPUTS, branch: 'promote churn' })).toBe(
      'Input "branch" contains a character git refuses in a branch name (space, ~ ^ : ? * [ \\ or a control character) (got "promote churn").',
    );
    expect(await refused({ ...INPUTS, environment: 'prod eu' })).toContain('The promotion branch "ml-gitops/promote/churn/prod eu" contains a character git refuses');
    expect(await refused({ ...INPUTS, repository: 'acme' })).toBe('Input "repository" must be `owner/name` (got "acme").');
    expect(await refused({ ...INPUTS, 'auto-merge': 'sqash' }, {}, 'cli')).toBe('--auto-merge must be one of "off", "merge", "squash", "rebase" (got "sqash").');
    expect(await refused({ ...INPUTS, 'evaluation-report': 'eval/missing.json' })).toBe(
      'The evaluation report "eval/missing.json" does not exist; point input "evaluation-report" to the report-path output of evaluate-model.',
    );
    await writeFile(path.join(workspace, 'eval/metrics.json'), '{"f1": 0.9}');
    expect(await refused({ ...INPUTS, 'evaluation-report': 'eval/metrics.json' })).toBe(
      'The evaluation report "eval/metrics.json" has no schemaVersion, so it is not a report of evaluate-model; point input "evaluation-report" to the report-path output of evaluate-model.',
    );
    expect(await refused({ ...INPUTS, 'evaluation-report': 'eval' }, {}, 'cli')).toBe(
      'The evaluation report "eval" is a directory, not a file; point --evaluation-report to the report-path output of evaluate-model.',
    );
    expect(await refused({ ...INPUTS, 'commit-message': 'Promote {modle}' })).toContain('Input "commit-message" uses the unknown placeholder {modle}');
    expect(await refused({ ...INPUTS, 'github-api-url': 'api.github.com' })).toContain('Input "github-api-url" must be an http(s) URL');
    expect(await refused(INPUTS, { GITHUB_REPOSITORY: '' })).toBe('Input "repository" is required outside GitHub Actions (GITHUB_REPOSITORY is not set): give the manifest repository as owner/name.');
    expect(await refused(INPUTS, { GITHUB_TOKEN: 'ghp_notAValidTokenAtAll0000000' })).toBe(
      'GitHub refused the token in input "token" ("Bad credentials"): it is expired, revoked or not a GitHub token; pass a valid token.',
    );
    // Nothing was written: every refusal came before a write (the bad token's one read was refused).
    expect(f.standIn.requests.filter((r) => r.write && r.status < 400)).toEqual([]);
    expect([...(await f.store.branches()).keys()]).toEqual(['main']);
  });

  it('names the server when github-api-url answers HTML (a login page, github.com instead of its API)', async () => {
    let status = 200;
    const server = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body>Sign in</body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await refused({ ...INPUTS, 'github-api-url': url })).toBe(
        `The server at ${url} (input "github-api-url") did not answer as GitHub's API does (no JSON; an HTML page or a proxy?) when asked to look for the open pull request: point it at the GitHub API, e.g. https://api.github.com or https://<host>/api/v3 for GitHub Enterprise Server.`,
      );
      status = 404;
      expect(await refused({ ...INPUTS, 'github-api-url': url })).toContain(`The server at ${url} (input "github-api-url") did not answer as GitHub's API does (HTTP 404 with an HTML page)`);
    } finally {
      server.close();
    }
  });

  it('names the choices when a CLI flag of a choice input has no value', async () => {
    const stderr: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => void stderr.push(text), env: {}, cwd: workspace };
    expect(await runCli(['open-promotion-pr', '--draft', '--auto-merge'], io)).toBe(1);
    expect(stderr.join('')).toBe('error: --auto-merge of open-promotion-pr needs a value: --auto-merge <off|merge|squash|rebase>.\n');
  });

  it('runs as a CLI process', async () => {
    const result = await runCliProcess(['open-promotion-pr', ...flags({ ...INPUTS, repository: REPO }), '--json'], {
      cwd: workspace,
      env: { PATH: process.env.PATH ?? '', GH_TOKEN: TOKENS.pat, GITHUB_API_URL: f.standIn.url },
    });
    seen.push(result.stdout, result.stderr);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ operation: 'created', 'pull-request-number': 1, 'auto-merge': 'off' });
  });
});

describe('open-promotion-pr as a GitHub Action', () => {
  it('reads INPUT_* and writes GITHUB_OUTPUT and the job summary, with the stand-in started as a command', async () => {
    // The runner blocks this process while the action runs, so the stand-in runs in its own process here.
    const dir = await tempDir('ml-gitops-promotion-action-');
    const bare = path.join(dir, 'manifests.git');
    await createSeededBareRepository(bare, { files: SEED_FILES });
    const child: ChildProcess = execFile(NODE, ['test/support/github-stand-in/main.ts', '--port', '0', '--repo', `${REPO}=${bare}`, '--token', `${TOKENS.actions}:contents=write,pull-requests=write,issues=write`]);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        child.once('exit', (code) => reject(new Error(`the stand-in exited ${code}`)));
      });
      const { url, graphqlUrl } = JSON.parse(line) as { url: string; graphqlUrl: string };
      const runAction = () =>
        runActionScript(path.resolve('src/entrypoints/open-promotion-pr.ts'), { ...INPUTS, token: TOKENS.actions, labels: 'promotion, churn', reviewer: 'octocat' }, {
          cwd: workspace,
          env: { GITHUB_API_URL: url, GITHUB_GRAPHQL_URL: graphqlUrl, GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: '5' },
        });
      const first = runAction();
      // `::add-mask::<token>` is how the runner learns what to mask; every other line must be free of it.
      const unmasked = (text: string) => text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
      seen.push(unmasked(first.stdout), first.stderr, first.summary);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.outputs).toMatchObject({ operation: 'created', 'pull-request-number': '1', superseded: '[]', 'auto-merge': 'off', branch: 'ml-gitops/promote/churn/prod' });
      expect(first.stdout).toMatch(/::warning::The token is the workflow's GITHUB_TOKEN/);
      // A misspelt `with:` key is not dropped silently (the runner passes it as INPUT_REVIEWER all the same).
      expect(first.stdout).toContain(
        '::warning::open-promotion-pr has no input "reviewer" (did you mean "reviewers"?), so its value is ignored; check the step\'s `with:` keys against the action\'s inputs.',
      );
      expect(first.summary).toContain('### open-promotion-pr');
      const again = runAction();
      seen.push(unmasked(again.stdout), again.summary);
      expect(again.outputs.operation).toBe('unchanged');
      expect(again.summary).toContain('GitHub API: 1 request (1 read, 0 write).');
      // `token: ${{ secrets.APP_TOKEN }}` with the secret unset: the runner passes INPUT_TOKEN empty, not the default.
      const emptyToken = runActionScript(path.resolve('src/entrypoints/open-promotion-pr.ts'), { ...INPUTS, token: '' }, { cwd: workspace, env: { GITHUB_API_URL: url, GITHUB_REPOSITORY: REPO } });
      expect(emptyToken.status).toBe(1);
      expect(emptyToken.stdout).toContain('::error::Input "token" is empty (on a runner, a required input left out of `with:` arrives empty, and so does an unset variable such as ${{ secrets.NAME }}), but open-promotion-pr requires it');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
