import { afterAll, describe, expect, it } from 'vitest';
import { flags, runCliProcess } from '../../support/cli-process.ts';
import { startGitDaemon, type GitDaemon } from '../../support/git-daemon.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, removeTempDirs, showFile } from '../../support/git-repos.ts';

const PROCESSES = 12;
const FILES = 4;

/** Each file lists every service; process i bumps service i in file i % FILES, so three processes share each file. */
function manifest(file: number, versions: Map<number, string> = new Map()): string {
  const lines = [`# services of cluster ${file}`, ''];
  for (let service = 0; service < PROCESSES; service++) {
    lines.push(`svc${service}:`, `  image: ghcr.io/acme/svc${service}`, `  version: "${versions.get(service) ?? '1.0.0'}" # bumped by CI`, '');
  }
  return lines.join('\n');
}

interface CliOutputs {
  changed: boolean;
  'commit-sha': string;
}

describe('bump-manifest under concurrent pushes', () => {
  let daemon: GitDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
    await removeTempDirs();
  });

  it(`lands all ${PROCESSES} updates pushed at once from ${PROCESSES} clones, with linear history`, { timeout: 60_000 }, async () => {
    const files: Record<string, string> = {};
    for (let file = 0; file < FILES; file++) files[`clusters/cluster-${file}.yaml`] = manifest(file);
    const remote = await createRemote(files);
    const env = isolatedGitEnv(remote.home);
    daemon = await startGitDaemon(remote.base, env);
    // The race is decided on the server side of a network remote; a local path would test less, so refuse it.
    if (daemon === undefined) throw new Error('git daemon could not start (is git-daemon installed?); the race test needs a network remote.');
    const url = `${daemon.baseUrl}remote.git`;

    const clones: string[] = [];
    for (let i = 0; i < PROCESSES; i++) clones.push(await cloneRemote(remote, `clone-${i}`, url));

    const results = await Promise.all(
      clones.map((clone, i) =>
        runCliProcess(
          [
            'bump-manifest',
            ...flags({
              updates: `clusters/cluster-${i % FILES}.yaml:svc${i}.version=2.0.${i}`,
              'model-name': `svc${i}`,
              'model-version': `2.0.${i}`,
              'max-attempts': '30',
            }),
            '--json',
          ],
          { cwd: clone, env },
        ),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const outputs = results.map((result) => JSON.parse(result.stdout) as CliOutputs);
    expect(outputs.every((output) => output.changed)).toBe(true);

    for (let file = 0; file < FILES; file++) {
      const expected = new Map<number, string>();
      for (let i = file; i < PROCESSES; i += FILES) expected.set(i, `2.0.${i}`);
      expect(await showFile(remote, 'main', `clusters/cluster-${file}.yaml`)).toBe(manifest(file, expected).trimEnd());
    }
    expect(await git(remote.bare, ['rev-list', '--merges', 'main'])).toBe('');
    expect(Number(await git(remote.bare, ['rev-list', '--count', 'main']))).toBe(PROCESSES + 1);
    const landed = new Set((await git(remote.bare, ['rev-list', 'main'])).split('\n'));
    for (const output of outputs) expect(landed.has(output['commit-sha'])).toBe(true);
    const versions = (await git(remote.bare, ['log', '--format=%(trailers:key=Model-Version,valueonly)', 'main'])).split('\n').filter(Boolean);
    expect(versions.sort()).toEqual(Array.from({ length: PROCESSES }, (_, i) => `2.0.${i}`).sort());
  });
});
