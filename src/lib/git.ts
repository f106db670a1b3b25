/**
 * A small client for the `git` binary. Every call passes an argument array to `execFile` (no shell), runs with a
 * fixed locale (so the messages we classify are English) and with terminal prompts disabled (so a missing credential
 * fails instead of hanging the job). Credentials never travel in URLs or arguments: an HTTP header is handed to git
 * through `GIT_CONFIG_*` environment variables and every message that leaves this module is scrubbed of it.
 */
import { execFile } from 'node:child_process';
import { inputRef, UserError } from './errors.ts';
import { maskSecrets } from './secrets.ts';

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

export interface GitClientOptions {
  /** The working directory git runs in (the checkout, or any directory inside it). */
  readonly cwd: string;
  /** The environment git runs with (PATH, HOME …); the caller's context, never `process.env` implicitly. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Author and committer of every commit and reflog entry, so git works where no identity is configured. */
  readonly identity?: GitIdentity;
  /** A full `http.extraheader` value (e.g. `AUTHORIZATION: basic …`) for fetch and push; never logged. */
  readonly authHeader?: string;
}

export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** A git invocation that failed in a way the caller did not expect. The message is already scrubbed of secrets. */
export class GitError extends Error {
  override readonly name = 'GitError';
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number, stderr: string) {
    super(`git ${args.join(' ')} exited with ${exitCode}: ${firstLines(stderr, 3)}`);
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Why a push did not land. `rejected` means the remote moved under us and a retry on the new tip can succeed. */
export type PushOutcome =
  | { readonly status: 'pushed' }
  | { readonly status: 'rejected'; readonly reason: string };

export interface StatusEntry {
  /** Two-letter porcelain code, e.g. ` M`, `??`, `A `. */
  readonly code: string;
  readonly path: string;
}

const MAX_BUFFER = 64 * 1024 * 1024;

export class GitClient {
  readonly cwd: string;
  readonly #env: Record<string, string>;
  readonly #secrets: string[];

  constructor(options: GitClientOptions) {
    this.cwd = options.cwd;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
    env.LC_ALL = 'C';
    env.LANGUAGE = 'C';
    env.GIT_TERMINAL_PROMPT = '0';
    if (options.identity) {
      env.GIT_AUTHOR_NAME = options.identity.name;
      env.GIT_AUTHOR_EMAIL = options.identity.email;
      env.GIT_COMMITTER_NAME = options.identity.name;
      env.GIT_COMMITTER_EMAIL = options.identity.email;
    }
    this.#secrets = [];
    if (options.authHeader) {
      // Passed as configuration through the environment, so it appears in no process listing or argument.
      const count = Number(env.GIT_CONFIG_COUNT ?? '0');
      env.GIT_CONFIG_COUNT = String(count + 1);
      env[`GIT_CONFIG_KEY_${count}`] = 'http.extraheader';
      env[`GIT_CONFIG_VALUE_${count}`] = options.authHeader;
      this.#secrets.push(options.authHeader);
      const token = options.authHeader.split(/\s+/).at(-1);
      if (token && token.length >= 8) this.#secrets.push(token);
    }
    this.#env = env;
  }

  /** Runs git; resolves with the result whatever the exit code. */
  run(args: readonly string[], options: { input?: string } = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        { cwd: this.cwd, env: this.#env, maxBuffer: MAX_BUFFER, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            const reason = error.code === 'ENOENT' ? 'the git executable was not found on PATH' : this.scrub(error.message);
            reject(new UserError(`Could not run git in ${this.cwd}: ${reason}.`, { cause: error }));
            return;
          }
          const exitCode = error && typeof error.code === 'number' ? error.code : 0;
          resolve({ stdout: this.scrub(stdout), stderr: this.scrub(stderr), exitCode });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** Runs git and returns its stdout; throws a GitError on a non-zero exit. */
  async exec(args: readonly string[], options: { input?: string } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stderr || result.stdout);
    return result.stdout;
  }

  /** Removes credentials (the auth header, its token, userinfo in URLs) from text that may be shown. */
  scrub(text: string): string {
    const scrubbed = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
    return maskSecrets(scrubbed, this.#secrets);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------------------------

  /** The top directory of the working tree, or undefined when `cwd` is not inside a git work tree. */
  async topLevel(): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--show-toplevel']);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The checked-out branch's short name, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const result = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The full object name of `rev`; throws when it does not resolve. */
  async revParse(rev: string): Promise<string> {
    return (await this.exec(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
  }

  /** The full object name of `rev`, or undefined when it does not resolve (e.g. HEAD of an empty repository). */
  async tryRevParse(rev: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The remote URL configured for `remote`, or undefined when `remote` is not a configured remote name. */
  async remoteUrl(remote: string): Promise<string | undefined> {
    const result = await this.run(['config', '--get', `remote.${remote}.url`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** Porcelain status, optionally limited to `paths`; untracked files included. */
  async status(paths: readonly string[] = []): Promise<StatusEntry[]> {
    const out = await this.exec(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]);
    const entries: StatusEntry[] = [];
    const fields = out.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (!field) continue;
      const code = field.slice(0, 2);
      entries.push({ code, path: field.slice(3) });
      // Renames and copies are followed by their source path in the next field.
      if (code.startsWith('R') || code.startsWith('C')) i++;
    }
    return entries;
  }

  /** True when `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
    return result.exitCode === 0;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writing
  // -------------------------------------------------------------------------------------------------------------

  /**
   * Commits exactly `paths` (whatever else is staged stays staged, uncommitted) with `message` as written,
   * and returns the new commit's SHA. Author and committer come from the client's identity.
   */
  async commit(message: string, paths: readonly string[]): Promise<string> {
    const args = ['commit', '--quiet', '--cleanup=whitespace', '--file=-', '--only', '--', ...paths];
    await this.exec(args, { input: message });
    return this.revParse('HEAD');
  }

  /**
   * Moves HEAD (and the checked-out branch, if any) to `target`, updating the files that differ between HEAD and
   * `target`. Uncommitted changes to other files are kept; git refuses (and nothing moves) when they would be lost.
   */
  async resetKeep(target: string): Promise<void> {
    await this.exec(['reset', '--quiet', '--keep', target]);
  }

  /** Detaches HEAD at the current commit, keeping the working tree and index as they are. */
  async detach(): Promise<void> {
    await this.exec(['checkout', '--quiet', '--detach']);
  }

  async checkout(branch: string): Promise<void> {
    await this.exec(['checkout', '--quiet', branch, '--']);
  }

  /**
   * Fetches `branch` from `remote` and returns the fetched tip, or undefined when the remote has no such branch.
   * A configured remote's tracking ref (`refs/remotes/<remote>/<branch>`) is updated too.
   */
  async fetchBranch(remote: string, branch: string): Promise<string | undefined> {
    const tracking = (await this.remoteUrl(remote)) !== undefined;
    const refspec = tracking ? `+refs/heads/${branch}:refs/remotes/${remote}/${branch}` : `refs/heads/${branch}`;
    const args = ['fetch', '--quiet', '--no-tags', remote, refspec];
    const result = await this.run(args);
    if (result.exitCode !== 0) {
      const output = `${result.stderr}\n${result.stdout}`;
      if (/couldn't find remote ref|no such ref|not our ref/i.test(output)) return undefined;
      throw remoteFailure('fetch from', remote, output) ?? new GitError(args, result.exitCode, output);
    }
    return this.revParse(tracking ? `refs/remotes/${remote}/${branch}` : 'FETCH_HEAD');
  }

  /**
   * Pushes HEAD to `refs/heads/<branch>` on `remote`, never forcing. A rejection because the remote moved is returned
   * (the caller retries on the new tip); authentication, permission and network failures are thrown as UserErrors.
   */
  async pushHead(remote: string, branch: string): Promise<PushOutcome> {
    const args = ['push', '--porcelain', remote, `HEAD:refs/heads/${branch}`];
    const result = await this.run(args);
    const output = `${result.stdout}\n${result.stderr}`;
    if (result.exitCode === 0 && !/^!\t/m.test(result.stdout)) return { status: 'pushed' };
    const classified = classifyPushFailure(output);
    if (classified.kind === 'rejected') return { status: 'rejected', reason: classified.reason };
    throw remoteFailure('push to', remote, output) ?? new UserError(
      `git push to "${remote}" was refused: ${firstLines(output, 2)}; check that the branch "${branch}" accepts pushes from this token (branch protection, hooks).`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Classifying remote failures
// ---------------------------------------------------------------------------------------------------------------

export type PushFailure = { kind: 'rejected'; reason: string } | { kind: 'other' };

/** Messages of a push refused because the remote branch moved (or was being moved) — a retry on the new tip helps. */
const RACE_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/non-fast-forward/i, 'non-fast-forward'],
  [/\(fetch first\)|fetch first/i, 'fetch first'],
  [/incorrect old value provided/i, 'incorrect old value provided'],
  [/cannot lock ref|failed to lock|unable to lock/i, 'cannot lock ref'],
  [/stale info/i, 'stale info'],
  [/failed to update ref/i, 'failed to update ref'],
  [/remote contains work that you do|tip of your current branch is behind/i, 'the remote moved'],
  [/reference already exists|expected old value/i, 'the remote moved'],
];

export function classifyPushFailure(output: string): PushFailure {
  for (const [pattern, reason] of RACE_PATTERNS) if (pattern.test(output)) return { kind: 'rejected', reason };
  return { kind: 'other' };
}

/**
 * A UserError for failures the user must fix (authentication, permissions, an unknown remote, the network),
 * or undefined when the output matches none of them.
 */
export function remoteFailure(verb: string, remote: string, output: string): UserError | undefined {
  const shown = firstLines(output, 1);
  if (/Authentication failed|could not read Username|could not read Password|terminal prompts disabled|Invalid username or password|HTTP Basic: Access denied|returned error: 401|Permission denied \(publickey|401 Unauthorized/i.test(output)) {
    return new UserError(
      `git ${verb} "${remote}" failed because the remote refused the credentials (${shown}); check the token given to actions/checkout or the remote's credentials.`,
    );
  }
  if (/Permission to .* denied|returned error: 403|403 Forbidden|write access to repository not granted|not allowed to push|You are not allowed/i.test(output)) {
    return new UserError(
      `git ${verb} "${remote}" was denied (${shown}); give the job's token write access, e.g. \`permissions: contents: write\`.`,
    );
  }
  if (/does not appear to be a git repository|Repository not found|No such remote/i.test(output)) {
    return new UserError(`git ${verb} "${remote}" failed because the remote repository was not found (${shown}); check the remote's name or URL and the checkout's remotes.`);
  }
  if (/Could not resolve host|Connection refused|Connection timed out|Failed to connect|unable to access|Network is unreachable|early EOF|remote end hung up|Could not read from remote repository|SSL|TLS/i.test(output)) {
    return new UserError(`git ${verb} "${remote}" failed because the remote could not be reached (${shown}); check the network and the remote URL.`);
  }
  return undefined;
}

function firstLines(text: string, count: number): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^To\s|^Done$|^hint:/.test(line));
  return lines.slice(0, count).join(' ').slice(0, 300);
}

/** `Name <email>` -> identity; a UserError naming `input` otherwise. */
export function parseIdentity(author: string, input: string): GitIdentity {
  const match = /^\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(author);
  if (!match || !match[1]) {
    throw new UserError(`${inputRef(input)} must be of the form \`Name <email>\` (got ${JSON.stringify(author)}).`, { input });
  }
  return { name: match[1], email: match[2] as string };
}
