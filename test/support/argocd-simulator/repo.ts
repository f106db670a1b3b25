/** A manifest repository for simulator tests: a real bare repository plus a clone that commits and pushes to it. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cloneRemote, createRemote, git, writeTree, type RemoteRepository } from '../git-repos.ts';

export interface ManifestRepo {
  readonly remote: RemoteRepository;
  /** The bare repository the simulator follows. */
  readonly bare: string;
  /** The clone commits are made in (history included, for descendant checks). */
  readonly clone: string;
  /** The branch tip. */
  head(): Promise<string>;
  /** Writes `files` (a null deletes), commits, pushes; returns the new commit. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
}

export async function createManifestRepo(files: Record<string, string>, branch = 'main'): Promise<ManifestRepo> {
  const remote = await createRemote(files, { branch });
  const clone = await cloneRemote(remote, 'work');
  let commits = 0;
  return {
    remote,
    bare: remote.bare,
    clone,
    head: () => git(clone, ['rev-parse', 'HEAD']),
    async commit(changes, message) {
      commits += 1;
      const writes: Record<string, string> = {};
      for (const [file, content] of Object.entries(changes)) {
        if (content === null) await fs.rm(path.join(clone, file), { force: true });
        else writes[file] = content;
      }
      await writeTree(clone, writes);
      await git(clone, ['add', '--all']);
      await git(clone, ['commit', '--quiet', '--allow-empty', '--message', message ?? `Change ${commits}`]);
      await git(clone, ['push', '--quiet', 'origin', `HEAD:${branch}`]);
      return git(clone, ['rev-parse', 'HEAD']);
    },
  };
}

/** Helm-style values for a model version, as bump-manifest edits them. */
export function modelValues(version: number | string, model = 'churn'): string {
  return `model:\n  name: ${model}\n  version: ${version}\n`;
}

/** A Deployment serving a model version (MODEL_VERSION), for health derived from a workload. */
export function servingDeployment(version: number | string, name = 'churn-serving', kind = 'Deployment'): string {
  const apiVersion = kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1';
  return [
    `apiVersion: ${apiVersion}`,
    `kind: ${kind}`,
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: server',
    '          image: ghcr.io/acme/churn-serving:v1',
    '          env:',
    '            - name: MODEL_VERSION',
    `              value: "${version}"`,
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  ports:',
    '    - port: 80',
    '',
  ].join('\n');
}
