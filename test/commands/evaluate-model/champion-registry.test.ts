/** `champion: models:/…`: the champion's metrics from the registry when the predictions have no champion column. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInputRefs } from '../../../src/lib/errors.ts';
import { createFileRegistry } from '../../../src/lib/registry/index.ts';
import { runError, runEvaluate, scratch, writeInto } from './helpers.ts';

async function registryWithChampion(dir: string): Promise<void> {
  const registry = createFileRegistry({ directory: path.join(dir, 'registry') });
  await registry.ensureModel('churn');
  const { version } = await registry.createVersion({
    name: 'churn',
    source: 'runs:/abc/model',
    tags: { 'metric.accuracy': '0.6', 'metric.latency_p95_ms': '120' },
    idempotencyKey: { tag: 'ml-gitops.idempotency', value: 'k1' },
  });
  await registry.setAlias('churn', 'champion', version.version);
}

describe('evaluate-model with a registry champion', () => {
  it('takes the champion metrics of models:/<name>@<alias>', async () => {
    const dir = scratch();
    await registryWithChampion(dir);
    writeInto(dir, 'preds.csv', 'label,candidate\n1,0.9\n0,0.2\n1,0.6\n0,0.7\n');
    const { report, ctx } = await runEvaluate(
      {
        predictions: 'preds.csv',
        task: 'binary',
        champion: 'models:/churn@champion',
        'registry-uri': 'registry',
        policy: 'rules:\n  - metric: accuracy\n    min_improvement: 0.1\n',
      },
      { workspace: dir },
    );
    expect(report.champion).toEqual({
      metrics: { accuracy: 0.6, latency_p95_ms: 120 },
      source: 'registry',
      modelUri: 'models:/churn@champion',
      version: '1',
    });
    expect(report.rules[0]).toMatchObject({ champion: 0.6, candidate: 0.75, passed: true });
    expect(ctx.summaries.join('')).toContain('champion from the registry (models:/churn@champion, version 1)');
  });

  it('says which URI points nowhere', async () => {
    const dir = scratch();
    await registryWithChampion(dir);
    writeInto(dir, 'preds.csv', 'label,candidate\n1,0.9\n0,0.2\n');
    const error = await runError(
      { predictions: 'preds.csv', task: 'binary', champion: 'models:/churn@production', 'registry-uri': 'registry' },
      { workspace: dir },
    );
    expect(error.message).toContain('"models:/churn@production" points to no model version');
    expect(error.input).toBe('champion');
  });

  it('prefers the champion column of the predictions', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate,champion\n1,0.9,0.1\n0,0.2,0.3\n');
    const { report, ctx } = await runEvaluate(
      { predictions: 'preds.csv', task: 'binary', champion: 'models:/churn@champion', 'registry-uri': 'registry' },
      { workspace: dir },
    );
    expect(report.champion?.source).toBe('predictions');
    expect(ctx.infos.some((line) => renderInputRefs(line, 'action').includes('input "champion" (models:/churn@champion) is not used'))).toBe(true);
  });
});
