import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/lib/errors.ts';
import { isInside, readTextFile, resolveFiles, writeFilesAtomically } from '../../src/lib/paths.ts';
import { removeTempDirs, tempDir, writeTree } from '../support/git-repos.ts';

afterAll(removeTempDirs);

const request = { origin: 'Line 1 of "updates" (x)', input: 'updates', rootInput: 'path' };

async function tree() {
  const base = await tempDir('ml-gitops-paths-');
  const root = path.join(base, 'repo');
  await writeTree(root, {
    'envs/production/values.yaml': 'a: 1\n',
    'envs/staging/values.yaml': 'a: 2\n',
    'envs/staging/other.yaml': 'a: 3\n',
    'bom.yaml': '\uFEFFa: 1\r\n',
  });
  await writeTree(base, { 'outside.yaml': 'secret: 1\n' });
  return { base, root };
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('resolveFiles', () => {
  it('resolves a plain path and a glob, sorted, relative to the root', async () => {
    const { root } = await tree();
    expect((await resolveFiles(root, './envs/production/values.yaml', request)).map((f) => f.relativePath)).toEqual(['envs/production/values.yaml']);
    const matched = await resolveFiles(root, 'envs/*/values.yaml', request);
    expect(matched.map((f) => f.relativePath)).toEqual(['envs/production/values.yaml', 'envs/staging/values.yaml']);
    expect(matched[0]?.realPath).toBe(path.join(await fs.realpath(root), 'envs/production/values.yaml'));
  });

  it.each([
    ['../outside.yaml', /contains "\.\."/],
    ['envs/../../outside.yaml', /contains "\.\."/],
    ['/etc/passwd', /absolute path/],
    ['envs/nothing-*.yaml', /matches no file/],
    ['envs/missing.yaml', /does not exist/],
    ['envs', /not a regular file/],
    ['.git/config', /\.git directory/],
  ])('refuses %s with one sentence naming the line', async (pattern, reason) => {
    const { root } = await tree();
    const error = await userError(resolveFiles(root, pattern, request));
    expect(error.message).toMatch(/^Line 1 of "updates" \(x\): /);
    expect(error.message).toMatch(reason);
    expect(error.input).toBe('updates');
  });

  it('refuses symlinks pointing outside the root, also when a glob reaches them, and follows those inside', async () => {
    const { root, base } = await tree();
    await fs.symlink(path.join(base, 'outside.yaml'), path.join(root, 'envs/link.yaml'));
    await fs.symlink(path.join(root, 'envs/staging/values.yaml'), path.join(root, 'inside.yaml'));
    expect((await userError(resolveFiles(root, 'envs/link.yaml', request))).message).toMatch(/outside the directory of \u2063input:path\u2063/);
    expect((await userError(resolveFiles(root, 'envs/*.yaml', request))).message).toMatch(/outside the directory of \u2063input:path\u2063/);
    const [inside] = await resolveFiles(root, 'inside.yaml', request);
    expect(inside?.realPath).toBe(path.join(await fs.realpath(root), 'envs/staging/values.yaml'));
  });

  it('refuses a root that does not exist', async () => {
    const { base } = await tree();
    expect((await userError(resolveFiles(path.join(base, 'nope'), 'a.yaml', request))).input).toBe('path');
  });
});

describe('readTextFile', () => {
  it('reads UTF-8 text and keeps a BOM', async () => {
    const { root } = await tree();
    const [file] = await resolveFiles(root, 'bom.yaml', request);
    const text = await readTextFile(file!, request);
    expect(text.text).toBe('\uFEFFa: 1\r\n');
  });

  it.each([
    [Buffer.from([0x61, 0x3a, 0x00, 0x31]), /binary file/],
    [Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /not valid UTF-8/],
  ])('refuses binary and non-UTF-8 content', async (bytes, reason) => {
    const { root } = await tree();
    await writeTree(root, { 'bad.yaml': bytes });
    const [file] = await resolveFiles(root, 'bad.yaml', request);
    const error = await userError(readTextFile(file!, request));
    expect(error.message).toMatch(reason);
    expect(error.location?.file).toBe('bad.yaml');
  });
});

describe('writeFilesAtomically', () => {
  it('replaces files keeping their mode and leaves no temporary file', async () => {
    const { root } = await tree();
    const file = path.join(await fs.realpath(root), 'envs/production/values.yaml');
    await fs.chmod(file, 0o640);
    await writeFilesAtomically([{ realPath: file, text: 'a: 9\n', mode: 0o640 }], new Map([[file, 'a: 1\n']]));
    expect(await fs.readFile(file, 'utf8')).toBe('a: 9\n');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect(await fs.readdir(path.dirname(file))).toEqual(['values.yaml']);
  });

  it('writes nothing when one of the files cannot be written', async () => {
    const { root } = await tree();
    const real = await fs.realpath(root);
    const good = path.join(real, 'envs/production/values.yaml');
    const bad = path.join(real, 'no-such-dir/values.yaml');
    await expect(
      writeFilesAtomically(
        [
          { realPath: good, text: 'a: 9\n', mode: 0o644 },
          { realPath: bad, text: 'a: 9\n', mode: 0o644 },
        ],
        new Map([[good, 'a: 1\n']]),
      ),
    ).rejects.toThrow();
    expect(await fs.readFile(good, 'utf8')).toBe('a: 1\n');
    expect(await fs.readdir(path.dirname(good))).toEqual(['values.yaml']);
  });
});

describe('isInside', () => {
  it('tells a child from a sibling with a common prefix', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a/b/..c')).toBe(true);
    expect(isInside('/a/b', '/a')).toBe(false);
  });
});
