/**
 * The stand-in's repository contents: a REAL bare git repository on disk, driven with the `git` binary (argument
 * arrays only). Branches, commits and file contents are git objects, so a test (or a person in the demo) can clone,
 * push to and inspect the same repository the API serves, and a commit made through the API is a real commit.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface Identity {
  readonly name: string;
  readonly email: string;
}

export interface CommitInfo {
  readonly oid: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: Identity & { readonly date: string };
  readonly committer: Identity & { readonly date: string };
  readonly message: string;
}

export interface FileAddition {
  readonly path: string;
  readonly contents: Buffer;
}

interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** git knows nothing but what the repository says: no global or system configuration, no identity. */
function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = path.join(os.tmpdir(), 'ml-gitops-github-stand-in-home');
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
    ...extra,
  };
}

export class GitStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private run(args: readonly string[], options: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        ['--git-dir', this.dir, ...args],
        { env: isolatedEnv(options.env), encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          if (code === -1) reject(error ?? new Error('git failed to start'));
          else resolve({ code, stdout, stderr: stderr.toString('utf8') });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  private async ok(args: readonly string[], options: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
    return result.stdout.toString('utf8').trim();
  }

  /** The commit a ref (`refs/heads/main`) points to, or undefined when it does not exist. */
  async resolveRef(ref: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  /** The commit a branch points to, or undefined. */
  branchHead(branch: string): Promise<string | undefined> {
    return this.resolveRef(`refs/heads/${branch}`);
  }

  /** `{ branch: oid }` for every branch. */
  async branches(): Promise<Map<string, string>> {
    const out = await this.ok(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/']);
    const map = new Map<string, string>();
    for (const line of out.split('\n')) {
      if (line === '') continue;
      const [oid, ref] = line.split(' ') as [string, string];
      map.set(ref.slice('refs/heads/'.length), oid);
    }
    return map;
  }

  /** True when `oid` names a commit in the repository. */
  async commitExists(oid: string): Promise<boolean> {
    if (!/^[0-9a-f]{40}$/.test(oid)) return false;
    const result = await this.run(['cat-file', '-e', `${oid}^{commit}`]);
    return result.code === 0;
  }

  /**
   * Points `ref` at `newOid` only if it still points at `expectedOid` (ZERO_OID: only if it does not exist yet), the
   * atomic compare-and-swap that makes concurrent API writers safe. Returns false when the ref had moved.
   */
  async compareAndSwap(ref: string, newOid: string, expectedOid: string): Promise<boolean> {
    const result = await this.run(['update-ref', ref, newOid, expectedOid]);
    return result.code === 0;
  }

  /** Deletes `ref` if it still points at `expectedOid`. */
  async deleteRef(ref: string, expectedOid: string): Promise<boolean> {
    const result = await this.run(['update-ref', '-d', ref, expectedOid]);
    return result.code === 0;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
    return result.code === 0;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.run(['merge-base', a, b]);
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  /** Commits reachable from `head` but not from `base`, oldest first. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.ok(['rev-list', '--reverse', `${base}..${head}`]);
    return out === '' ? [] : out.split('\n');
  }

  async commit(oid: string): Promise<CommitInfo> {
    const out = await this.ok(['show', '-s', '--format=%H%n%T%n%P%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B', oid]);
    const lines = out.split('\n');
    const [sha, tree, parents, an, ae, ad, cn, ce, cd] = lines as [string, string, string, string, string, string, string, string, string];
    return {
      oid: sha,
      tree,
      parents: parents === '' ? [] : parents.split(' '),
      author: { name: an, email: ae, date: ad },
      committer: { name: cn, email: ce, date: cd },
      message: lines.slice(9).join('\n'),
    };
  }

  /** The bytes of `filePath` at `oid`, or undefined when the path is not a file there. */
  async readFile(oid: string, filePath: string): Promise<Buffer | undefined> {
    const type = await this.run(['cat-file', '-t', `${oid}:${filePath}`]);
    if (type.code !== 0 || type.stdout.toString('utf8').trim() !== 'blob') return undefined;
    const result = await this.run(['cat-file', 'blob', `${oid}:${filePath}`]);
    return result.code === 0 ? result.stdout : undefined;
  }

  /** Paths changed between two commits, with git's status letter (A, M, D, ...). */
  async changedPaths(from: string | undefined, to: string): Promise<{ status: string; path: string }[]> {
    const args = from === undefined ? ['diff-tree', '-r', '--root', '--no-commit-id', '--name-status', to] : ['diff-tree', '-r', '--name-status', from, to];
    const out = await this.ok(args);
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [status, ...rest] = line.split('\t');
        return { status: (status ?? 'M').slice(0, 1), path: rest[rest.length - 1] ?? '' };
      });
  }

  /**
   * A new commit on top of `parent` with `additions` written and `deletions` removed, made by `identity` (author and
   * committer both, as GitHub does for createCommitOnBranch). The ref is not moved: the caller swaps it.
   */
  async commitChanges(options: {
    /** undefined: a root commit. */
    parent: string | undefined;
    additions: readonly FileAddition[];
    deletions: readonly string[];
    message: string;
    identity: Identity;
  }): Promise<string> {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-gitops-gh-index-'));
    // A scratch index (and an empty work tree, which `update-index --force-remove` insists on) per commit.
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index'), GIT_WORK_TREE: scratch };
    try {
      await this.ok(options.parent === undefined ? ['read-tree', '--empty'] : ['read-tree', options.parent], { env });
      for (const deletion of options.deletions) await this.ok(['update-index', '--force-remove', '--', deletion], { env });
      for (const addition of options.additions) {
        const blob = await this.ok(['hash-object', '-w', '--stdin'], { input: addition.contents });
        await this.ok(['update-index', '--add', '--cacheinfo', `100644,${blob},${addition.path}`], { env });
      }
      const tree = await this.ok(['write-tree'], { env });
      return await this.commitTree(tree, options.parent === undefined ? [] : [options.parent], options.message, options.identity);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }

  async commitTree(tree: string, parents: readonly string[], message: string, identity: Identity): Promise<string> {
    const parentArgs = parents.flatMap((parent) => ['-p', parent]);
    return this.ok(['commit-tree', tree, ...parentArgs, '-F', '-'], {
      input: message,
      env: {
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
      },
    });
  }

  /** The tree of merging `theirs` into `ours`, or undefined when they conflict. */
  async mergeTree(ours: string, theirs: string): Promise<string | undefined> {
    const result = await this.run(['merge-tree', '--write-tree', ours, theirs]);
    if (result.code !== 0) return undefined;
    return result.stdout.toString('utf8').split('\n')[0]?.trim();
  }

  /** Number of objects' worth of size, for the repository's `size` field (KiB, approximate). */
  async sizeKiB(): Promise<number> {
    const out = await this.ok(['count-objects', '-v']);
    const match = /size-pack: (\d+)/.exec(out);
    const loose = /size: (\d+)/.exec(out);
    return Number(match?.[1] ?? 0) + Number(loose?.[1] ?? 0);
  }
}

/** Creates a bare repository at `dir` (for tests and the demo) whose `branch` holds `files` in one seed commit. */
export async function createSeededBareRepository(
  dir: string,
  options: { branch?: string; files?: Record<string, string>; identity?: Identity } = {},
): Promise<{ dir: string; head: string }> {
  const branch = options.branch ?? 'main';
  await fs.mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    execFile('git', ['init', '--bare', '--quiet', `--initial-branch=${branch}`, dir], { env: isolatedEnv() }, (error) => (error ? reject(error) : resolve()));
  });
  const store = new GitStore(dir);
  const identity = options.identity ?? { name: 'Seed Author', email: 'seed@example.test' };
  const files = Object.entries(options.files ?? { 'README.md': '# manifests\n' }).map(([p, c]) => ({ path: p, contents: Buffer.from(c) }));
  const head = await store.commitChanges({ parent: undefined, additions: files, deletions: [], message: 'Seed manifests', identity });
  await store.compareAndSwap(`refs/heads/${branch}`, head, ZERO_OID);
  return { dir, head };
}
