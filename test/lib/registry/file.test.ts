import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { createFileRegistry, type FileRegistry } from '../../../src/lib/registry/file.ts';
import { modelDirName } from '../../../src/lib/registry/file-layout.ts';
import { IDEMPOTENCY_KEY_TAG } from '../../../src/lib/registry/tags.ts';
import type { CreateVersionRequest } from '../../../src/lib/registry/types.ts';

let dir: string;
let registry: FileRegistry;
const fixedNow = () => new Date('2026-01-02T03:04:05.000Z');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'file-registry-'));
  registry = createFileRegistry({ directory: path.join(dir, 'registry'), now: fixedNow });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(key: string, overrides: Partial<CreateVersionRequest> = {}): CreateVersionRequest {
  return {
    name: 'churn',
    source: `s3://models/${key}`,
    tags: {},
    idempotencyKey: { tag: IDEMPOTENCY_KEY_TAG, value: key },
    ...overrides,
  };
}

const modelPath = (...parts: string[]) => path.join(dir, 'registry', 'models', 'churn', ...parts);

describe('file registry', () => {
  it('creates a model once and keeps its first description', async () => {
    await registry.ensureModel('churn', 'first');
    await registry.ensureModel('churn', 'second');
    expect(await readFile(modelPath('model.json'), 'utf8')).toBe(
      '{\n  "name": "churn",\n  "description": "first",\n  "createdAt": "2026-01-02T03:04:05.000Z"\n}\n',
    );
  });

  it('numbers versions 1..N and reuses a version with the same idempotency tag', async () => {
    await registry.ensureModel('churn');
    const first = await registry.createVersion(request('a'));
    const second = await registry.createVersion(request('b'));
    const again = await registry.createVersion(request('a', { source: 'ignored' }));
    expect([first.version.version, first.created]).toEqual(['1', true]);
    expect([second.version.version, second.created]).toEqual(['2', true]);
    expect([again.version.version, again.created]).toEqual(['1', false]);
    expect(again.version.source).toBe('s3://models/a');
    expect((await registry.listVersions('churn')).map((v) => v.version)).toEqual(['2', '1']);
  });

  it('writes versions as pretty JSON with a fixed key order, sorted tags and a trailing newline', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(
      request('k', { runId: 'run-1', description: 'desc', tags: { zeta: '1', alpha: '2', 'metric.f1': '0.9', 'metric.note': 'n/a' } }),
    );
    const text = await readFile(modelPath('versions', '1.json'), 'utf8');
    expect(text).toBe(
      [
        '{',
        '  "name": "churn",',
        '  "version": 1,',
        '  "source": "s3://models/k",',
        '  "runId": "run-1",',
        '  "description": "desc",',
        '  "status": "READY",',
        '  "createdAt": "2026-01-02T03:04:05.000Z",',
        '  "updatedAt": "2026-01-02T03:04:05.000Z",',
        '  "tags": {',
        '    "alpha": "2",',
        '    "metric.f1": "0.9",',
        '    "metric.note": "n/a",',
        `    "${IDEMPOTENCY_KEY_TAG}": "k",`,
        '    "zeta": "1"',
        '  },',
        '  "metrics": {',
        '    "f1": 0.9',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('refuses a version of a model that was not created', async () => {
    await expect(registry.createVersion(request('a'))).rejects.toThrow(/not registered in the file registry/);
  });

  it('reads versions, finds them by tag, and answers undefined for missing ones', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a', { tags: { team: 'x' } }));
    await registry.createVersion(request('b', { tags: { team: 'y' } }));
    expect((await registry.findVersionByTag('churn', 'team', 'y'))?.version).toBe('2');
    expect(await registry.findVersionByTag('churn', 'team', 'z')).toBeUndefined();
    expect(await registry.getVersion('churn', '3')).toBeUndefined();
    expect(await registry.getVersion('churn', '../1')).toBeUndefined();
    expect(await registry.getVersion('other', '1')).toBeUndefined();
    expect(await registry.listVersions('other')).toEqual([]);
    const one = await registry.getVersion('churn', '1');
    expect(one).toMatchObject({ name: 'churn', version: '1', status: 'READY', source: 's3://models/a', aliases: [] });
    expect(one?.createdAt).toBe(fixedNow().getTime());
  });

  it('merges tags and keeps metrics in step with metric.<key> tags', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a', { tags: { 'metric.f1': '0.8', team: 'x' } }));
    await registry.setTags('churn', '1', { 'metric.f1': '0.85', 'metric.auc': '0.9', 'metric.bad': 'high', team: 'y' });
    const version = await registry.getVersion('churn', '1');
    expect(version?.tags).toMatchObject({ 'metric.f1': '0.85', team: 'y' });
    expect(await registry.getVersionMetrics('churn', '1')).toEqual({ auc: 0.9, f1: 0.85 });
    await expect(registry.setTags('churn', '9', { a: 'b' })).rejects.toBeInstanceOf(UserError);
  });

  it('overlays metric.<key> tags on the metrics field', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a', { tags: { 'metric.f1': '0.8' } }));
    const file = modelPath('versions', '1.json');
    const data = JSON.parse(await readFile(file, 'utf8')) as { metrics: Record<string, number> };
    data.metrics = { f1: 0.1, latency: 12 };
    await writeFile(file, JSON.stringify(data));
    expect(await registry.getVersionMetrics('churn', '1')).toEqual({ f1: 0.8, latency: 12 });
    await expect(registry.getVersionMetrics('churn', '2')).rejects.toThrow(/has no version "2"/);
  });

  it('sets, moves, reads and deletes aliases', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a'));
    await registry.createVersion(request('b'));
    await registry.setAlias('churn', 'champion', '1');
    await registry.setAlias('churn', 'challenger', '2');
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('1');
    await registry.setAlias('churn', 'champion', '2');
    expect((await registry.getAlias('churn', 'champion'))?.aliases).toEqual(['challenger', 'champion']);
    expect(await readFile(modelPath('aliases.json'), 'utf8')).toBe('{\n  "challenger": 2,\n  "champion": 2\n}\n');
    await registry.deleteAlias('churn', 'champion');
    await registry.deleteAlias('churn', 'champion');
    expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
    expect(await registry.getAlias('nobody', 'champion')).toBeUndefined();
  });

  it('refuses aliases MLflow refuses and aliases on missing versions', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a'));
    await expect(registry.setAlias('churn', 'latest', '1')).rejects.toThrow(/reserves/);
    await expect(registry.setAlias('churn', 'v2', '1')).rejects.toThrow(/look like a version/);
    await expect(registry.setAlias('churn', 'a b', '1')).rejects.toThrow(/letters, digits/);
    await expect(registry.setAlias('churn', 'champion', '5')).rejects.toThrow(/has no version "5"/);
  });

  it('refuses model names MLflow refuses', async () => {
    for (const name of ['', '  ', 'a/b', 'a:b', '..', '..x']) {
      await expect(registry.ensureModel(name)).rejects.toBeInstanceOf(UserError);
    }
  });

  it('keeps any accepted model name in one portable directory', async () => {
    const name = 'Churn model (v2) ü*?';
    await registry.ensureModel(name);
    await registry.createVersion(request('a', { name }));
    const models = await readdir(path.join(dir, 'registry', 'models'));
    expect(models).toEqual([modelDirName(name)]);
    expect(modelDirName(name)).not.toMatch(/[ *?/:\\]/);
    expect((await registry.getVersion(name, '1'))?.name).toBe(name);
  });

  it('names a damaged file in the error', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a'));
    await writeFile(modelPath('versions', '1.json'), '{"name": ');
    const error = await registry.getVersion('churn', '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).location?.file).toBe(modelPath('versions', '1.json'));
    await writeFile(modelPath('versions', '1.json'), '{"name": "churn"}\n');
    await expect(registry.listVersions('churn')).rejects.toThrow(/does not match the registry layout/);
  });

  it('ignores leftover temporary files next to the versions', async () => {
    await registry.ensureModel('churn');
    await registry.createVersion(request('a'));
    await writeFile(modelPath('versions', '1.json.3f2a9c'), 'partial');
    expect((await registry.listVersions('churn')).map((v) => v.version)).toEqual(['1']);
    expect((await registry.createVersion(request('b'))).version.version).toBe('2');
  });

  it('takes over a stale lock left by a crashed run', async () => {
    await registry.ensureModel('churn');
    const lock = modelPath('.lock');
    await mkdir(lock);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);
    expect((await registry.createVersion(request('a'))).created).toBe(true);
    await expect(readdir(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('serialises writes of concurrent calls in one process', async () => {
    await registry.ensureModel('churn');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => registry.createVersion(request(`k${i}`))));
    expect(results.map((r) => Number(r.version.version)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('leaves no trace when writing to a model that does not exist', async () => {
    await expect(registry.createVersion(request('a'))).rejects.toBeInstanceOf(UserError);
    await expect(registry.setTags('churn', '1', { a: 'b' })).rejects.toBeInstanceOf(UserError);
    await expect(registry.setAlias('churn', 'champion', '1')).rejects.toBeInstanceOf(UserError);
    await registry.deleteAlias('churn', 'champion');
    await expect(readdir(path.join(dir, 'registry'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports its directory and has no UI link', () => {
    expect(registry.location).toBe(path.join(dir, 'registry'));
    expect(registry.versionUrl()).toBeUndefined();
    expect(registry.versionPath('churn', '3')).toBe(modelPath('versions', '3.json'));
  });
});
