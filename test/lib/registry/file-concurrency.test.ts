import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileRegistry } from '../../../src/lib/registry/file.ts';
import { flags, runCliProcess } from '../../support/cli-process.ts';

const PROCESSES = 16;

/** register-model through the real CLI, in its own process; its outputs. */
async function register(inputs: Record<string, string>): Promise<{ version: string; created: boolean }> {
  const result = await runCliProcess(['register-model', ...flags(inputs), '--json'], {
    cwd: workspace,
    env: { PATH: process.env.PATH ?? '', GITHUB_SHA: 'abc123' },
  });
  if (result.code !== 0) throw new Error(`register-model exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { version: string; created: boolean };
}

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'file-registry-concurrency-'));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('file registry under concurrent processes', () => {
  it(`${PROCESSES} registrations of different sources end with versions 1..${PROCESSES}, none lost or duplicated`, { timeout: 180_000 }, async () => {
    const outcomes = await Promise.all(
      Array.from({ length: PROCESSES }, async (_, i) => {
        const inputs = { 'registry-uri': 'registry', 'model-name': 'churn', source: `s3://bucket/model-${i}`, alias: 'challenger' };
        return { source: `s3://bucket/model-${i}`, outputs: await register(inputs) };
      }),
    );
    const versions = outcomes.map((o) => Number(o.outputs.version)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: PROCESSES }, (_, i) => i + 1));
    expect(outcomes.every((o) => o.outputs.created)).toBe(true);

    const registry = createFileRegistry({ directory: path.join(workspace, 'registry') });
    const stored = await registry.listVersions('churn');
    expect(stored).toHaveLength(PROCESSES);
    for (const { source, outputs } of outcomes) {
      expect(stored.find((v) => v.version === outputs.version)?.source).toBe(source);
    }
    // The alias points at one of the versions; no lock or temporary file is left behind.
    expect(Number((await registry.getAlias('churn', 'challenger'))?.version)).toBeGreaterThan(0);
    const modelDir = path.join(workspace, 'registry', 'models', 'churn');
    expect((await readdir(modelDir)).sort()).toEqual(['aliases.json', 'model.json', 'versions']);
    expect((await readdir(path.join(modelDir, 'versions'))).length).toBe(PROCESSES);
  });

  it('concurrent re-runs of one registration create it once and reuse it everywhere else', { timeout: 180_000 }, async () => {
    const inputs = { 'registry-uri': 'same', 'model-name': 'churn', source: 's3://bucket/model', alias: 'challenger' };
    const outputs = await Promise.all(
      Array.from({ length: 6 }, async () => {
        return register(inputs);
      }),
    );
    expect(outputs.map((o) => o.version)).toEqual(Array.from({ length: 6 }, () => '1'));
    expect(outputs.filter((o) => o.created)).toHaveLength(1);
    expect(await createFileRegistry({ directory: path.join(workspace, 'same') }).listVersions('churn')).toHaveLength(1);
  });
});
