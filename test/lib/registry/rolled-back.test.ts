import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { createFileRegistry, type FileRegistry } from '../../../src/lib/registry/file.ts';
import { refuseRolledBackVersion, rolledBackTags } from '../../../src/lib/registry/rolled-back.ts';
import { IDEMPOTENCY_KEY_TAG } from '../../../src/lib/registry/tags.ts';

let dir: string;
let registry: FileRegistry;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rolled-back-'));
  registry = createFileRegistry({ directory: path.join(dir, 'registry') });
  await registry.ensureModel('churn');
  for (const key of ['a', 'b']) {
    await registry.createVersion({ name: 'churn', source: `s3://models/${key}`, tags: {}, idempotencyKey: { tag: IDEMPOTENCY_KEY_TAG, value: key } });
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (warnings: string[], allow = false) => ({
  allow,
  allowInput: 'allow-rolled-back',
  action: 'bump-manifest',
  warn: (message: string) => warnings.push(renderInputRefs(message, 'cli')),
});

describe('the rolled-back guard of promoting commands', () => {
  it('refuses a version tagged rolled back, naming the reason, unless allowed', async () => {
    await registry.setTags('churn', '2', rolledBackTags({ reason: 'accuracy fell', environment: 'production', runUrl: undefined, at: new Date('2026-12-01T00:00:00Z') }));
    const warnings: string[] = [];
    const error = await refuseRolledBackVersion(registry, 'churn', '2', options(warnings)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect(renderInputRefs((error as UserError).message, 'cli')).toBe(
      'Version 2 of model "churn" is tagged ml-gitops.rolled-back=true (reason: accuracy fell; rolled back in production at 2026-12-01T00:00:00.000Z), so bump-manifest will not promote it again: promote another version, or set --allow-rolled-back to true if it is fixed.',
    );
    expect((await refuseRolledBackVersion(registry, 'churn', '2', options(warnings, true)))?.version).toBe('2');
    expect(warnings).toEqual([]);
  });

  it('warns when the registry knows the model but not the version, since nothing could be checked', async () => {
    const warnings: string[] = [];
    expect(await refuseRolledBackVersion(registry, 'churn', '5', options(warnings))).toBeUndefined();
    expect(warnings).toEqual([
      `${registry.location} has versions of model "churn" but not version 5, so bump-manifest cannot check whether it was rolled back; check --model-version, or register the version first.`,
    ]);
  });

  it('stays quiet when the registry does not know the model at all (no registry in use)', async () => {
    const warnings: string[] = [];
    expect(await refuseRolledBackVersion(registry, 'fraud', '1', options(warnings))).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
