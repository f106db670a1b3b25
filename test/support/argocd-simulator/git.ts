/** What the simulator's "repo server" reads from a real bare git repository: branch tips, files, ancestry. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

/** The commit a branch, tag or SHA (prefix) names, or undefined when the repository has none. */
export async function resolveRevision(repo: string, revision: string): Promise<string | undefined> {
  for (const candidate of [`refs/heads/${revision}`, `refs/tags/${revision}`, revision]) {
    try {
      return (await git(repo, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`])).trim();
    } catch {
      // not this kind of name
    }
  }
  return undefined;
}

/** Files under `dir` at `revision` (path → text); cached, since a commit never changes. */
const fileCache = new Map<string, Map<string, string>>();

export async function filesAt(repo: string, revision: string, dir: string): Promise<Map<string, string>> {
  const key = `${repo}\0${revision}\0${dir}`;
  const hit = fileCache.get(key);
  if (hit !== undefined) return hit;
  const prefix = dir === '' || dir === '.' ? [] : ['--', dir.replace(/\/+$/, '')];
  const names = (await git(repo, ['ls-tree', '-r', '--name-only', revision, ...prefix])).split('\n').filter((name) => name !== '');
  const files = new Map<string, string>();
  for (const name of names) files.set(name, await git(repo, ['show', `${revision}:${name}`]));
  fileCache.set(key, files);
  return files;
}

/** Whether `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await run('git', ['--git-dir', repo, 'merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}
