import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { formatUpdate, parseUpdate } from '../../../src/lib/ledger.ts';
import { buildPlan, diskSource, parseUpdates } from '../../../src/lib/manifest/index.ts';
import { parseUpdateLine } from '../../../src/lib/manifest/update-line.ts';

function lineError(line: string): UserError {
  try {
    parseUpdateLine(line, 3);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe('updates');
    expect((error as UserError).message).not.toContain('\n');
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parseUpdateLine: tagged values', () => {
  it('keeps the tag in the value, as the editor and the ledger read it', () => {
    expect(parseUpdateLine('values.yaml:replicas=!!int 3', 1).value).toBe('!!int 3');
    expect(parseUpdateLine('values.yaml:tag=!!str   12  ', 1).value).toBe('!!str 12');
    expect(parseUpdateLine('values.yaml:tag=!!str "  padded "', 1).value).toBe('!!str   padded ');
    expect(parseUpdateLine('values.yaml:tag=!!str ""', 1).value).toBe('!!str ');
    expect(parseUpdateLine('values.yaml:tag=!!null', 1).value).toBe('!!null');
    // A whole value in quotes is decoded first; a leading tag inside is still a tag (the ledger writes values so).
    expect(parseUpdateLine('values.yaml:tag="!!str   padded "', 1).value).toBe('!!str   padded ');
  });

  it('survives the ledger: a Manifest-Update trailer read back by rollback gives the same tagged value', () => {
    for (const line of ['v.yaml:replicas=!!int 3', 'v.yaml:tag=!!str "  padded "', 'v.yaml:tag=!!str ""', 'v.yaml:none=!!null', 'v.yaml:x=!!str say "hi"']) {
      const spec = parseUpdateLine(line, 1);
      const trailer = formatUpdate({ file: spec.file, selector: spec.selector, value: spec.value });
      const read = parseUpdate(trailer);
      if (read === undefined) throw new Error(`unreadable trailer ${trailer}`);
      // rollback turns the recorded update back into an update line with formatUpdate.
      expect(parseUpdateLine(formatUpdate(read), 1).value, line).toBe(spec.value);
    }
  });

  it('refuses unknown and collection tags and mistyped tagged values before any file is read', () => {
    expect(lineError('values.yaml:cmd=!!python/object:os.system').message).toBe(
      'updates line 3 ("values.yaml:cmd=!!python/object:os.system"): the tag !!python/object:os.system is not one of !!str, !!int, !!float, !!bool or !!null; to store text that starts with "!", write !!str before it (!!str !!python/object:os.system).',
    );
    expect(lineError('values.yaml:css=!important').message).toContain('write !!str before it (!!str !important)');
    expect(lineError('values.yaml:m=!!map {a: 1}').message).toContain('the tag !!map is for maps');
    expect(lineError('values.yaml:replicas=!!int three').message).toBe(
      'updates line 3 ("values.yaml:replicas=!!int three"): !!int needs an integer, and three is not one.',
    );
  });

  it('refuses an unevaluated ${{ }} expression as the value (it would ship literally)', () => {
    expect(lineError('values.yaml:model.version=${{ steps.eval.outputs.version }}').message).toBe(
      'updates line 3 ("values.yaml:model.version=${{ steps.eval.outputs.version }}") has a value that is an unevaluated GitHub Actions expression; pass the updates through an action input (the runner evaluates ${{ }} there) or put the value itself.',
    );
    expect(lineError('values.yaml:image.tag="v-${{ github.sha }}"').message).toContain('unevaluated GitHub Actions expression');
  });

  it('refuses a tag with nothing after it, as it refuses an empty value', () => {
    expect(lineError('values.yaml:replicas=!!int').message).toBe(
      'updates line 3 ("values.yaml:replicas=!!int") has no value after !!int, which is what a mistyped expression renders to; give the value.',
    );
    expect(lineError('values.yaml:tag=!!str ').message).toContain('or write !!str "" to set an empty string on purpose.');
  });
});

describe('bump plans with typed values', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function checkout(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'update-line-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }

  const inputs = { updates: 'updates', root: 'path' };

  it('creates typed keys with create-missing (issue 9: replicas=3 became "3")', async () => {
    const dir = await checkout({ 'values.yaml': 'deployment:\n  name: churn\n' });
    const plan = await buildPlan(await diskSource(dir, 'path'), parseUpdates([
      'values.yaml:deployment.replicas=3',
      'values.yaml:deployment.version=!!str 13',
    ], 'updates'), { createMissing: true, inputs });
    expect(plan.files[0]?.after).toBe('deployment:\n  name: churn\n  replicas: 3\n  version: "13"\n');
    expect(plan.files[0]?.edits.map((edit) => [edit.lineNumber, edit.value, edit.previous])).toEqual([[1, '3', null], [2, '!!str 13', null]]);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe('deployment:\n  name: churn\n');
  });

  it('refuses to turn a number into a string, naming the update line, the key, the type and the fix', async () => {
    const dir = await checkout({ 'values.yaml': 'replicas: 3\ntag: v1\n' });
    const updates = parseUpdates(['values.yaml:tag=v2', 'values.yaml:replicas=abc'], 'updates');
    const error = await buildPlan(await diskSource(dir, 'path'), updates, { createMissing: false, inputs }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'updates line 2 ("values.yaml:replicas=abc"): `replicas` in values.yaml is a number (3), and abc would silently turn it into a string; write !!str abc to store a string.',
    );
    expect((error as UserError).location).toMatchObject({ file: 'values.yaml', line: 1 });
  });
});
