/** `npm run demo` runs the whole loop through the committed bundles, exits 0 and leaves no process behind. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

describe('npm run demo', () => {
  it('promotes a better model, rolls back a worse one automatically and refuses to promote it again', { timeout: 120_000 }, () => {
    const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'demo.ts')], { cwd: root, encoding: 'utf8', timeout: 110_000 });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    // The first promotion goes through a PR on the GitHub stand-in once open-promotion-pr is bundled.
    if (existsSync(path.join(root, 'dist', 'open-promotion-pr', 'index.js'))) {
      expect(run.stdout).toMatch(/open-promotion-pr churn 2 → staging\s+PR #1 created/);
      expect(run.stdout).toMatch(/a reviewer merges the PR\s+merge commit [0-9a-f]{12}/);
      expect(run.stdout).toMatch(/the PR body: +\S+pull-request-1\.md/);
    } else {
      expect(run.stdout).toMatch(/bump-manifest churn 2 → staging \(direct, no PR\)\s+commit [0-9a-f]{12}/);
    }
    expect(run.stdout).toMatch(/wait-for-argo-sync churn-staging at version 2\s+healthy/);
    expect(run.stdout).toMatch(/wait-for-argo-sync churn-staging at version 3\s+(analysis-failed|degraded)/);
    expect(run.stdout).toMatch(/rollback churn in staging \(automatic\)\s+3 → 2, alias moved: true, Argo CD: healthy/);
    expect(run.stdout).toContain('refused: version 3 is tagged rolled back');
    const seconds = Number(/The loop ran in ([\d.]+) s/.exec(run.stdout)?.[1]);
    expect(seconds).toBeLessThan(60);
    // The demo's stand-ins are started with paths inside its sandbox; other test files may run stand-ins of their own.
    const sandbox = /sandbox: +(\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(sandbox).not.toBe('');
    const leftovers = spawnSync('pgrep', ['-f', `(argocd-simulator|github-stand-in)/main\\.ts .*${sandbox}`], { encoding: 'utf8' });
    expect(leftovers.stdout.trim()).toBe('');
  });
});
