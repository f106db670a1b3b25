import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { createFileRegistry, type FileRegistry } from '../../../src/lib/registry/file.ts';
import {
  aliasNameProblem,
  formatModelUri,
  modelNameProblem,
  parseModelUri,
  readModelUriMetrics,
} from '../../../src/lib/registry/model-uri.ts';
import { IDEMPOTENCY_KEY_TAG, isRolledBack, metricsFromTags } from '../../../src/lib/registry/tags.ts';

describe('parseModelUri', () => {
  it('reads versions and aliases', () => {
    expect(parseModelUri('models:/churn/3')).toEqual({ kind: 'version', name: 'churn', version: '3' });
    expect(parseModelUri(' models:/churn/007 ')).toEqual({ kind: 'version', name: 'churn', version: '7' });
    expect(parseModelUri('models:/churn@champion')).toEqual({ kind: 'alias', name: 'churn', alias: 'champion' });
    // MLflow splits at the last "@", so a name may hold one.
    expect(parseModelUri('models:/team@churn@champion')).toEqual({ kind: 'alias', name: 'team@churn', alias: 'champion' });
  });

  it.each([
    ['churn/3', /is not a model URI/],
    ['models://churn/3', /is not a model URI/],
    ['models:/', /is not a model URI/],
    ['models:/a/b/c', /is not a model URI/],
    ['models:/churn', /neither a version nor an alias/],
    ['models:/churn/Production', /stage or "latest"/],
    ['models:/churn/latest', /stage or "latest"/],
    ['models:/churn/', /no version/],
    ['models:/churn@', /no alias/],
    ['models:/@champion', /no model name/],
    ['models:/ /3', /no model name/],
  ])('refuses %s', (uri, message) => {
    expect(() => parseModelUri(uri)).toThrow(message);
  });

  it('names the origin of a bad URI', () => {
    const error = (() => {
      try {
        parseModelUri('models:/churn', { input: 'champion', location: { file: 'eval.yml', line: 4 } });
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/^Input "champion" "models:\/churn" names neither/);
    expect(error.input).toBe('champion');
    expect(error.location).toEqual({ file: 'eval.yml', line: 4 });
  });

  it('formats both forms back', () => {
    expect(formatModelUri({ kind: 'version', name: 'm', version: '2' })).toBe('models:/m/2');
    expect(formatModelUri({ kind: 'alias', name: 'm', alias: 'prod' })).toBe('models:/m@prod');
  });
});

describe('name rules', () => {
  it('mirror MLflow for model names', () => {
    expect(modelNameProblem('churn-classifier v2.1')).toBeUndefined();
    expect(modelNameProblem('team@model')).toBeUndefined();
    expect(modelNameProblem('.hidden')).toBeUndefined();
    expect(modelNameProblem('')).toMatch(/empty/);
    expect(modelNameProblem('   ')).toMatch(/empty/);
    expect(modelNameProblem('a/b')).toMatch(/"\/"/);
    expect(modelNameProblem('a:b')).toMatch(/":"/);
    expect(modelNameProblem('.')).toMatch(/"\."/);
    expect(modelNameProblem('..x')).toMatch(/\.\./);
  });

  it('mirror MLflow for aliases', () => {
    expect(aliasNameProblem('champion')).toBeUndefined();
    expect(aliasNameProblem('blue-green_2')).toBeUndefined();
    expect(aliasNameProblem('')).toMatch(/empty/);
    expect(aliasNameProblem('a.b')).toMatch(/letters, digits/);
    expect(aliasNameProblem('Latest')).toMatch(/reserves/);
    expect(aliasNameProblem('V12')).toMatch(/version/);
    expect(aliasNameProblem('x'.repeat(256))).toMatch(/255/);
  });
});

describe('tags helpers', () => {
  it('reads numeric metric tags only', () => {
    expect(metricsFromTags({ 'metric.f1': '0.9', 'metric.n': ' 12 ', 'metric.x': 'high', 'metric.': '1', 'metric.e': '', other: '3' })).toEqual({
      f1: 0.9,
      n: 12,
    });
  });

  it('recognises the rolled-back marker', () => {
    expect(isRolledBack({ 'ml-gitops.rolled-back': 'true' })).toBe(true);
    expect(isRolledBack({ 'ml-gitops.rolled-back': 'TRUE' })).toBe(true);
    expect(isRolledBack({ 'ml-gitops.rolled-back': 'false' })).toBe(false);
    expect(isRolledBack({})).toBe(false);
  });
});

describe('readModelUriMetrics on the file registry', () => {
  let dir: string;
  let registry: FileRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'model-uri-'));
    registry = createFileRegistry({ directory: dir });
    await registry.ensureModel('churn');
    for (const [key, f1] of [['a', '0.7'], ['b', '0.8']] as const) {
      await registry.createVersion({
        name: 'churn',
        source: `s3://m/${key}`,
        tags: { 'metric.f1': f1, 'metric.auc': '0.9' },
        idempotencyKey: { tag: IDEMPOTENCY_KEY_TAG, value: key },
      });
    }
    await registry.setAlias('churn', 'champion', '1');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves an alias', async () => {
    expect(await readModelUriMetrics('models:/churn@champion', registry)).toEqual({ name: 'churn', version: '1', metrics: { auc: 0.9, f1: 0.7 } });
  });

  it('resolves a version, also from a parsed reference', async () => {
    expect((await readModelUriMetrics('models:/churn/2', registry)).metrics.f1).toBe(0.8);
    expect((await readModelUriMetrics({ kind: 'version', name: 'churn', version: '2' }, registry)).version).toBe('2');
  });

  it('refuses a missing alias, version or model in one sentence', async () => {
    await expect(readModelUriMetrics('models:/churn@prod', registry, { input: 'champion' })).rejects.toThrow(
      /^Input "champion" "models:\/churn@prod" points to no model version: model "churn" has no alias "prod" in the registry .+\.$/,
    );
    await expect(readModelUriMetrics('models:/churn/9', registry)).rejects.toThrow(/has no version 9/);
    await expect(readModelUriMetrics('models:/nope/1', registry)).rejects.toThrow(/model "nope" has no version 1/);
  });
});
