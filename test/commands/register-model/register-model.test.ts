import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { IDEMPOTENCY_KEY_TAG, ROLLED_BACK_TAG } from '../../../src/lib/registry/tags.ts';
import { runCommand } from '../../support/run-command.ts';
import type { RecordedContext } from '../../support/context.ts';

const GITHUB_ENV = {
  GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  GITHUB_REPOSITORY: 'acme/churn',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '4242',
  GITHUB_ACTOR: 'octocat',
  GITHUB_EVENT_NAME: 'push',
};

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'register-model-'));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function register(raw: Record<string, string>, env: Record<string, string | undefined> = GITHUB_ENV): Promise<{
  outputs: Record<string, unknown>;
  ctx: RecordedContext;
}> {
  const { outputs, ctx } = await runCommand(registerModel, raw, { env, workspace });
  return { outputs, ctx };
}

async function failure(raw: Record<string, string>, env: Record<string, string | undefined> = GITHUB_ENV): Promise<UserError> {
  const error = await register(raw, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  const userError = error as UserError;
  // One sentence: no line breaks, ends with a full stop.
  expect(userError.message).not.toMatch(/\n/);
  expect(userError.message).toMatch(/\.$/);
  return userError;
}

const base = { 'model-name': 'churn', source: 's3://bucket/churn/model' };

describe('register-model on the file registry', () => {
  it('registers in the default directory with lineage tags, outputs and a summary', async () => {
    const { outputs, ctx } = await register({ ...base, alias: 'challenger', tags: 'team=growth\n# comment\nowner = ml ' });
    expect(outputs).toEqual({ version: '1', 'model-uri': 'models:/churn/1', created: true });
    const registry = createFileRegistry({ directory: path.join(workspace, '.ml-gitops', 'registry') });
    const version = await registry.getVersion('churn', '1');
    expect(version?.aliases).toEqual(['challenger']);
    expect(version?.tags).toMatchObject({
      team: 'growth',
      owner: 'ml',
      'ml-gitops.commit': GITHUB_ENV.GITHUB_SHA,
      'ml-gitops.repository': 'acme/churn',
      'ml-gitops.workflow-run-url': 'https://github.com/acme/churn/actions/runs/4242',
      'ml-gitops.actor': 'octocat',
      'ml-gitops.event': 'push',
    });
    expect(version?.tags[IDEMPOTENCY_KEY_TAG]).toMatch(/^[0-9a-f]{64}$/);
    const summary = ctx.summaries.join('\n');
    expect(summary).toContain('Registered `churn` version 1');
    expect(summary).toContain('`challenger`');
    expect(summary).toContain('| `ml-gitops.actor` | octocat |');
    expect(summary).toContain(path.join('.ml-gitops', 'registry', 'models', 'churn', 'versions', '1.json'));
  });

  it('gives the same version and created=false for the same inputs, a new one for a new commit', async () => {
    const first = await register({ ...base, 'registry-uri': 'reg', alias: 'challenger' });
    const again = await register({ ...base, 'registry-uri': 'reg', alias: 'challenger' });
    expect(again.outputs).toEqual({ ...first.outputs, created: false });
    expect(again.ctx.summaries.join('\n')).toContain('Reused `churn` version 1');
    const next = await register({ ...base, 'registry-uri': 'reg' }, { ...GITHUB_ENV, GITHUB_SHA: 'ffff' });
    expect(next.outputs).toMatchObject({ version: '2', created: true });
  });

  it('updates tags that a re-run changes on the reused version', async () => {
    await register({ ...base, 'registry-uri': 'reg', tags: 'team=a' });
    await register({ ...base, 'registry-uri': 'reg', tags: 'team=b' }, { ...GITHUB_ENV, GITHUB_ACTOR: 'hubot' });
    const version = await createFileRegistry({ directory: path.join(workspace, 'reg') }).getVersion('churn', '1');
    expect(version?.tags).toMatchObject({ team: 'b', 'ml-gitops.actor': 'hubot' });
  });

  it('reads MLFLOW_TRACKING_URI and file:// URIs', async () => {
    await register(base, { ...GITHUB_ENV, MLFLOW_TRACKING_URI: 'file://env-reg' });
    expect(await createFileRegistry({ directory: path.join(workspace, 'env-reg') }).getVersion('churn', '1')).toBeDefined();
    const absolute = path.join(workspace, 'abs reg');
    await register({ ...base, 'registry-uri': new URL(`file://${absolute}`).href });
    expect(await createFileRegistry({ directory: absolute }).getVersion('churn', '1')).toBeDefined();
  });

  it('turns an evaluation report into tags and the description', async () => {
    await cp(path.resolve('test/fixtures/register-model/evaluation-report.json'), path.join(workspace, 'report.json'));
    await register({ ...base, 'registry-uri': 'reg', 'evaluation-report': 'report.json', description: 'Weekly retrain.' });
    const version = await createFileRegistry({ directory: path.join(workspace, 'reg') }).getVersion('churn', '1');
    expect(version?.tags).toMatchObject({ 'evaluation.decision': 'promote', 'metric.f1': '0.91', 'metric.roc_auc': '0.95' });
    expect(version?.tags['metric.brier']).toBeUndefined();
    expect(version?.description).toMatch(
      /^Weekly retrain\.\n\nEvaluation: \*\*promote\*\*\. Every rule of the policy passed\.\n\n\| Rule \| Metric \| Kind \| Threshold \| Candidate \| Champion \| Passed \|/,
    );
    expect(version?.description).toContain('| rules[1] | roc_auc | max_regression | 1% | 0.95 | 0.94 | yes |');
  });

  it('refuses to register again or alias a rolled-back version unless allowed', async () => {
    await register({ ...base, 'registry-uri': 'reg' });
    const registry = createFileRegistry({ directory: path.join(workspace, 'reg') });
    await registry.setTags('churn', '1', { [ROLLED_BACK_TAG]: 'true' });
    const error = await failure({ ...base, 'registry-uri': 'reg', alias: 'champion' });
    expect(error.message).toMatch(/tagged ml-gitops\.rolled-back=true .* "allow-rolled-back"/);
    expect(error.input).toBe('allow-rolled-back');
    expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
    const allowed = await register({ ...base, 'registry-uri': 'reg', alias: 'champion', 'allow-rolled-back': 'true' });
    expect(allowed.outputs).toMatchObject({ version: '1', created: false });
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('1');
  });

  it.each([
    [{ ...base, 'model-name': '' }, 'model-name', /^Input "model-name" is empty \(on a runner, a required input left out of `with:` arrives empty.*\), but register-model requires it/],
    [{ ...base, 'model-name': 'team/churn' }, 'model-name', /must not contain "\/" or ":"/],
    [{ ...base, 'model-name': '..churn' }, 'model-name', /start with "\.\."/],
    [{ 'model-name': 'churn' }, 'source', /^register-model needs input "source" or input "version"; set one of them \(source registers a new version/],
    [{ ...base, version: '1' }, 'version', /^Input "source" and input "version" cannot be used together/],
    [{ 'model-name': 'churn', version: 'latest' }, 'version', /^Input "version" must be a version number such as 3 \(got "latest"\)\.$/],
    [{ 'model-name': 'churn', version: '1', 'run-id': 'r' }, 'run-id', /cannot be used together.*run-id describes a new registration/],
    [{ 'model-name': 'churn', version: '1' }, 'alias', /^Input "version" points an alias at an existing version, but no alias is given/],
    [{ ...base, alias: 'latest' }, 'alias', /reserves/],
    [{ ...base, tags: 'no equals sign' }, 'tags', /is not key=value/],
    [{ ...base, tags: 'ml-gitops.commit=x' }, 'tags', /written by ml-gitops itself/],
    [{ ...base, tags: 'bad*key=x' }, 'tags', /may only contain/],
    [{ ...base, 'wait-timeout': '-1' }, 'wait-timeout', /at least 0/],
    [{ ...base, 'registry-uri': 's3://bucket/registry' }, 'registry-uri', /"s3:".*http\(s\):\/\/.*file:\/\//],
    [{ ...base, 'registry-uri': 'databricks' }, 'registry-uri', /does not support \("databricks"\)/],
    [{ ...base, stage: 'Production' }, 'stage', /needs an MLflow registry/],
    [{ ...base, 'evaluation-report': 'missing.json' }, 'evaluation-report', /"missing\.json" does not exist/],
  ])('refuses bad input %#', async (raw, input, message) => {
    const error = await failure(raw).catch((e: unknown) => e as UserError);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
  });

  it('refuses an evaluation report that is not one', async () => {
    const report = JSON.parse(await readFile(path.resolve('test/fixtures/register-model/evaluation-report.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(workspace, 'bad.json'), JSON.stringify({ ...report, candidate: {} }));
    const error = await failure({ ...base, 'evaluation-report': 'bad.json' });
    expect(error.message).toMatch(/"bad\.json" is not a valid evaluate-model report: candidate\.metrics/);
    expect(error.location).toEqual({ file: 'bad.json' });
    await writeFile(path.join(workspace, 'bad.json'), '{');
    expect((await failure({ ...base, 'evaluation-report': 'bad.json' })).message).toMatch(/is not JSON/);
  });

  it('leaves the registry untouched when the input is bad', async () => {
    await failure({ ...base, 'registry-uri': 'reg', alias: 'v1' });
    await expect(readFile(path.join(workspace, 'reg', 'models', 'churn', 'model.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
