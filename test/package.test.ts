/**
 * The CLI is installed the way the README says: `npm install --global ml-gitops` of the published package, which holds
 * only the bundled `dist/cli/index.js` and needs no dependency. Tested with the tarball `npm pack` makes, installed
 * offline into a temporary prefix.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

describe('the published CLI package', () => {
  it('installs from its tarball with no dependencies and runs ml-gitops', { timeout: 120_000 }, () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-pack-'));
    const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const prefix = path.join(work, 'prefix');
    const install = spawnSync('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, path.join(work, tarball as string)], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(install.status, install.stderr).toBe(0);
    expect(readdirSync(path.join(prefix, 'lib', 'node_modules', 'ml-gitops')).sort()).toEqual(['README.md', 'dist', 'package.json']);
    const help = spawnSync(path.join(prefix, 'bin', 'ml-gitops'), ['--help'], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: ml-gitops <command>');
    expect(help.stdout).toContain('rollback');
  });
});
