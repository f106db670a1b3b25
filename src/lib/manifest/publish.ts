/**
 * Commit and push a manifest plan without ever losing an update. Each attempt rebuilds the plan from the files of the
 * current tip, writes them, commits only those files and pushes HEAD to the branch, never forcing. When the remote has
 * moved, the local branch is moved to the fetched tip (which drops only our own, unpushed commit), and the next attempt
 * re-applies the edits there; a tip that already holds every value ends the loop. History stays linear.
 *
 * `publishPlan` wraps the loop with what a caller must check first (a git checkout with a commit, clean target files,
 * a valid branch that exists on the remote unless it may be created) and puts the checkout back where it was: on a
 * failure at the commit the run started from, and after pushing to another branch on the branch it was on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../command.ts';
import { inputRef, UserError } from '../errors.ts';
import { GitError, type GitClient } from '../git.ts';
import { writeFilesAtomically } from '../paths.ts';
import { backoffDelay, sleep as realSleep, type BackoffPolicy } from '../retry.ts';
import { closestMatch, didYouMean } from '../suggest.ts';
import { oneLine } from '../text.ts';
import type { FilePlan, Plan } from './plan.ts';

/** Full-jitter-ish exponential backoff between push attempts: half to all of 250 ms × 2^n, capped at 8 s. */
export const PUSH_BACKOFF: BackoffPolicy = { initialMs: 250, factor: 2, maxMs: 8_000, jitter: 'equal' };

export interface PushTarget {
  readonly remote: string;
  readonly branch: string;
}

export interface PublishLoopOptions {
  readonly git: GitClient;
  /** Real path of the directory git runs in; file paths are given to git relative to it. */
  readonly gitCwd: string;
  /** Rebuilds the plan from the files as they are now. */
  readonly replan: () => Promise<Plan>;
  readonly message: (plan: Plan) => string;
  /** Push to this remote and branch; undefined to commit locally only. */
  readonly target: PushTarget | undefined;
  readonly maxAttempts: number;
  /** The input that sets `maxAttempts`, for the message when the attempts run out. */
  readonly maxAttemptsInput: string;
  readonly backoff?: BackoffPolicy;
  readonly log: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface PublishResult {
  /** The plan that was committed (or found already applied). */
  readonly plan: Plan;
  readonly sha: string | undefined;
  /** Attempts used (1 when the first push landed). */
  readonly attempts: number;
  /** `up-to-date`: the tip already held every value, nothing was committed. */
  readonly status: 'committed' | 'pushed' | 'up-to-date';
}

/** Writes changed files, naming the file and the fix when the file system refuses (permissions, a directory). */
export async function writePlanFiles(files: readonly FilePlan[], contents: 'after' | 'before'): Promise<void> {
  try {
    await writeFilesAtomically(
      files.map((file) => ({ realPath: file.realPath, text: file[contents], mode: file.mode })),
      new Map(files.map((file) => [file.realPath, contents === 'after' ? file.before : file.after])),
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const failed = (error as NodeJS.ErrnoException).path;
    const file = files.find((candidate) => failed !== undefined && path.dirname(failed) === path.dirname(candidate.realPath)) ?? files[0];
    const reasons: Record<string, string> = {
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      EROFS: 'the file system is read-only',
      EISDIR: 'it is a directory',
      ENOSPC: 'no space left on the device',
      EDQUOT: 'the disk quota is exhausted',
    };
    const reason = code === undefined ? undefined : reasons[code];
    if (reason === undefined || file === undefined) throw error;
    throw new UserError(`Could not write ${file.relativePath} in ${file.root} (${reason}); make the checkout writable by the job's user and run again.`, {
      location: { file: file.relativePath, root: file.root },
      cause: error,
    });
  }
}

/** Writes the plan's changed files and commits exactly them; on a failed commit the files get their content back. */
async function writeAndCommit(options: PublishLoopOptions, plan: Plan): Promise<string> {
  const changed = plan.files.filter((file) => file.changed);
  await writePlanFiles(changed, 'after');
  const paths = changed.map((file) => path.relative(options.gitCwd, file.realPath).split(path.sep).join('/'));
  try {
    return await options.git.commit(options.message(plan), paths);
  } catch (error) {
    await writePlanFiles(changed, 'before');
    if (error instanceof GitError) {
      throw new UserError(`git commit failed in ${options.gitCwd} (${oneLine(error.stderr)}); check the repository's commit hooks and configuration.`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The push loop itself (see the module comment). */
export async function publish(firstPlan: Plan, options: PublishLoopOptions): Promise<PublishResult> {
  const sleep = options.sleep ?? ((ms: number) => realSleep(ms));
  const backoff = options.backoff ?? PUSH_BACKOFF;
  let plan = firstPlan;
  for (let attempt = 1; ; attempt++) {
    if (!plan.changed) return { plan, sha: undefined, attempts: attempt, status: 'up-to-date' };
    const sha = await writeAndCommit(options, plan);
    if (!options.target) return { plan, sha, attempts: attempt, status: 'committed' };

    const { remote, branch } = options.target;
    const outcome = await options.git.pushHead(remote, branch);
    if (outcome.status === 'pushed') {
      options.log.info(`Pushed ${sha.slice(0, 12)} to ${remote}/${branch} (attempt ${attempt} of ${options.maxAttempts}).`);
      return { plan, sha, attempts: attempt, status: 'pushed' };
    }
    if (attempt >= options.maxAttempts) {
      throw new UserError(
        `The push to ${remote}/${branch} was rejected ${attempt} times (last reason: ${outcome.reason}) because other jobs kept moving the branch; raise ${inputRef(options.maxAttemptsInput)} or serialise the jobs with a concurrency group.`,
        { input: options.maxAttemptsInput },
      );
    }
    const delay = backoffDelay(backoff, attempt - 1, options.random);
    options.log.info(`The push to ${remote}/${branch} was rejected (${outcome.reason}); retrying on the new tip in ${delay} ms (attempt ${attempt + 1} of ${options.maxAttempts}).`);
    await sleep(delay);
    const tip = await options.git.fetchBranch(remote, branch);
    if (tip === undefined) {
      throw new UserError(`The branch "${branch}" disappeared from ${remote} while pushing to it; check that nothing deletes it and run again.`);
    }
    // Drops our unpushed commit and puts the tip's files in place; the edits are re-applied to them below.
    try {
      await options.git.resetKeep(tip);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new UserError(
        `The checkout could not be moved to the new tip of ${remote}/${branch} because uncommitted changes in other files would be overwritten (${oneLine(error.stderr)}); run on a clean checkout.`,
        { cause: error },
      );
    }
    plan = await options.replan();
  }
}

/** The inputs of the calling command, for messages. */
export interface PublishInputs {
  readonly root: string;
  readonly updates: string;
  readonly branch: string;
  readonly remote: string;
  readonly createBranch: string;
  readonly maxAttempts: string;
}

export interface PublishPlanOptions {
  /** The checkout (the `path` input, resolved). */
  readonly root: string;
  readonly git: GitClient;
  readonly firstPlan: Plan;
  readonly replan: () => Promise<Plan>;
  readonly message: (plan: Plan) => string;
  readonly push: boolean;
  /** The branch to push to; undefined for the checked-out one. */
  readonly branch: string | undefined;
  readonly remote: string;
  /** Push to a branch the remote does not have yet (otherwise a missing branch is refused as a probable typo). */
  readonly createBranch: boolean;
  readonly maxAttempts: number;
  readonly inputs: PublishInputs;
  readonly log: Logger;
  readonly backoff?: BackoffPolicy;
}

export interface PublishPlanResult extends PublishResult {
  readonly target: PushTarget;
}

/** Checks the checkout, commits and (optionally) pushes the plan; see the module comment. */
export async function publishPlan(options: PublishPlanOptions): Promise<PublishPlanResult> {
  const { git, root, inputs } = options;
  const gitCwd = await fs.realpath(root);
  if ((await git.topLevel()) === undefined) {
    throw new UserError(`The directory ${root} given by ${inputRef(inputs.root)} is not a git checkout; check out the manifest repository there.`, {
      input: inputs.root,
    });
  }
  const head = await git.tryRevParse('HEAD');
  if (head === undefined) {
    throw new UserError(`The checkout at ${root} has no commit yet; push an initial commit to the manifest repository first.`, { input: inputs.root });
  }
  const targetPaths = options.firstPlan.files.map((file) => path.relative(gitCwd, file.realPath).split(path.sep).join('/'));
  const dirty = await git.status(targetPaths);
  if (dirty.length > 0) {
    const shown = dirty.map((entry) => entry.path).join(', ');
    const first = options.firstPlan.files[targetPaths.indexOf(dirty[0]?.path ?? '')];
    throw new UserError(`The files ${shown} have uncommitted changes in ${root}; commit or discard them before their edits are committed.`, {
      input: inputs.updates,
      location: { file: first?.relativePath ?? shown, root: gitCwd },
    });
  }

  const current = await git.currentBranch();
  const branch = options.branch ?? current;
  if (branch === undefined) {
    throw new UserError(`The checkout is on a detached HEAD; set ${inputRef(inputs.branch)} to the branch to push to.`, { input: inputs.branch });
  }
  if ((await git.run(['check-ref-format', '--branch', branch])).exitCode !== 0) {
    throw new UserError(`${inputRef(inputs.branch)} is not a valid branch name (got ${JSON.stringify(branch)}).`, { input: inputs.branch });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(options.remote) && !/^ssh:\/\/[^/:@]+@/i.test(options.remote)) {
    throw new UserError(
      `${inputRef(inputs.remote)} contains credentials in its URL; name a configured remote (e.g. origin) and let actions/checkout store the token.`,
      { input: inputs.remote },
    );
  }
  if (options.push && !/[:/\\]/.test(options.remote) && (await git.remoteUrl(options.remote)) === undefined) {
    // A typo in a remote name reads to git as a path, and fails as "not a git repository".
    const remotes = (await git.run(['remote'])).stdout.split('\n').filter((name) => name !== '');
    throw new UserError(
      `${inputRef(inputs.remote)} "${options.remote}" is not a remote of the checkout${didYouMean(options.remote, remotes)}; ${remotes.length === 0 ? 'it has none, so give a URL' : `its remotes are ${remotes.join(', ')}`}.`,
      { input: inputs.remote },
    );
  }
  const target = { remote: options.remote, branch };

  let switchedFrom: string | undefined;
  let result: PublishResult;
  try {
    let plan = options.firstPlan;
    if (options.push) {
      const tip = await git.fetchBranch(target.remote, branch);
      if (tip === undefined && !options.createBranch) throw await missingBranchError(git, target, inputs);
      if (current !== branch) {
        // Not on the target branch (detached, or another branch checked out): start from the target's tip, so nothing
        // of the checked-out branch is pushed to it, and leave the local branch alone.
        if (current !== undefined) {
          await git.detach();
          switchedFrom = current;
        }
        if (tip !== undefined && tip !== head) {
          await git.resetKeep(tip);
          plan = await options.replan();
        }
      }
    }
    result = await publish(plan, {
      git,
      gitCwd,
      replan: options.replan,
      message: options.message,
      target: options.push ? target : undefined,
      maxAttempts: options.maxAttempts,
      maxAttemptsInput: inputs.maxAttempts,
      log: options.log,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
  } catch (error) {
    await restore(options.log, git, head, switchedFrom);
    throw error;
  }
  if (switchedFrom !== undefined) {
    // The next step of the job expects the branch it checked out, not a detached HEAD at our commit.
    try {
      await git.checkout(switchedFrom);
    } catch (error) {
      options.log.warning(`Pushed, but could not check out "${switchedFrom}" again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ...result, target };
}

async function missingBranchError(git: GitClient, target: PushTarget, inputs: PublishInputs): Promise<UserError> {
  const listed = await git.run(['ls-remote', '--heads', target.remote]);
  const branches = listed.exitCode === 0 ? listed.stdout.split('\n').map((line) => line.split('refs/heads/')[1]?.trim()).filter((name): name is string => !!name) : [];
  // A swapped pair of letters (`mian`) is the typical branch typo; Levenshtein counts it twice, so look for it too.
  const sorted = (name: string): string => [...name].sort().join('');
  const guess = closestMatch(target.branch, branches) ?? branches.find((name) => name.length === target.branch.length && sorted(name) === sorted(target.branch));
  const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
  return new UserError(
    `The branch "${target.branch}" does not exist on ${target.remote}${hint}, so nothing was pushed: check ${inputRef(inputs.branch)}, or set ${inputRef(inputs.createBranch)} to true to create it.`,
    { input: inputs.branch },
  );
}

/** Puts HEAD (and the branch) back where the run found them after a failure; the target files were clean then. */
async function restore(log: Logger, git: GitClient, head: string, switchedFrom: string | undefined): Promise<void> {
  try {
    if ((await git.tryRevParse('HEAD')) !== head) await git.resetKeep(head);
    if (switchedFrom !== undefined) await git.checkout(switchedFrom);
  } catch (error) {
    log.warning(`Could not put the checkout back at ${head.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
