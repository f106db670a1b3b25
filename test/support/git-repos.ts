/**
 * Real git repositories for tests: temporary directories, a bare "remote" seeded with files, clones of it, and an
 * environment in which git has no identity and no global or system configuration (like a fresh CI runner).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Who makes the seed commits of test repositories (passed by environment, never configured). */
export const SEED_IDENTITY = { name: 'Seed Author', email: 'seed@example.test' };

const created: string[] = [];

/** A new temporary directory (real path), removed by `removeTempDirs`. */
export async function tempDir(prefix = 'ml-gitops-git-'): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
  created.push(dir);
  return dir;
}

/** Removes every directory made by `tempDir` in this process (call from `afterAll`). */
export async function removeTempDirs(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

/**
 * An environment with an empty HOME, no system configuration and no identity: git run with it knows nothing but what
 * the repository itself says.
 */
export function isolatedGitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    LC_ALL: 'C',
    TMPDIR: os.tmpdir(),
  };
}

/** Runs git in `cwd` with `env` (an isolated one by default plus the seed identity); returns trimmed stdout. */
export async function git(cwd: string, args: readonly string[], env?: Record<string, string>): Promise<string> {
  const home = env?.HOME ?? path.join(os.tmpdir(), 'ml-gitops-empty-home');
  const baseEnv = env ?? {
    ...isolatedGitEnv(home),
    GIT_AUTHOR_NAME: SEED_IDENTITY.name,
    GIT_AUTHOR_EMAIL: SEED_IDENTITY.email,
    GIT_COMMITTER_NAME: SEED_IDENTITY.name,
    GIT_COMMITTER_EMAIL: SEED_IDENTITY.email,
  };
  const { stdout } = await execFileAsync('git', args, { cwd, env: baseEnv, maxBuffer: 32 * 1024 * 1024 });
  return stdout.trim();
}

export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

/** Copies a fixture directory's files into a map (relative path -> bytes). */
export async function readTree(root: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    files[path.relative(root, absolute).split(path.sep).join('/')] = await fs.readFile(absolute);
  }
  return files;
}

export interface RemoteRepository {
  /** The temporary directory holding everything of this test (remote, clones, home). */
  readonly base: string;
  /** The bare repository's directory. */
  readonly bare: string;
  /** An empty HOME for isolated git runs. */
  readonly home: string;
  /** The branch the seed commit is on. */
  readonly branch: string;
}

/** A bare repository whose `main` holds `files` in one seed commit. */
export async function createRemote(files: Record<string, string | Uint8Array>, options: { branch?: string } = {}): Promise<RemoteRepository> {
  const base = await tempDir();
  const home = path.join(base, 'home');
  const seed = path.join(base, 'seed');
  const bare = path.join(base, 'remote.git');
  const branch = options.branch ?? 'main';
  await fs.mkdir(home);
  await fs.mkdir(seed);
  await git(seed, ['init', '--quiet', `--initial-branch=${branch}`]);
  await writeTree(seed, files);
  await git(seed, ['add', '--all']);
  await git(seed, ['commit', '--quiet', '--message', 'Seed manifests']);
  await git(base, ['clone', '--quiet', '--bare', seed, bare]);
  await fs.rm(seed, { recursive: true, force: true });
  return { base, bare, home, branch };
}

/** A clone of `url` in `<base>/<name>`; its origin is `url`. */
export async function cloneRemote(remote: RemoteRepository, name: string, url: string = remote.bare): Promise<string> {
  const dir = path.join(remote.base, name);
  await git(remote.base, ['clone', '--quiet', url, dir]);
  return dir;
}

/** The file's content at `ref` of the bare remote. */
export async function showFile(remote: RemoteRepository, ref: string, file: string): Promise<string> {
  return git(remote.bare, ['show', `${ref}:${file}`]);
}

/** Snapshot of a checkout's state: HEAD, branch, status and every file's bytes, to prove a failed run changed nothing. */
export async function snapshotCheckout(dir: string): Promise<{ head: string; branch: string; status: string; files: Record<string, string> }> {
  const files: Record<string, string> = {};
  for (const [relative, bytes] of Object.entries(await readTree(dir))) {
    if (!relative.startsWith('.git/')) files[relative] = Buffer.from(bytes).toString('base64');
  }
  return {
    head: await git(dir, ['rev-parse', 'HEAD']),
    branch: await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']),
    status: await git(dir, ['status', '--porcelain']),
    files,
  };
}
