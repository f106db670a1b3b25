/**
 * Commit and push without ever losing an update. Each attempt rebuilds the plan from the files of the current tip,
 * writes them, commits only those files and pushes HEAD to the branch, never forcing. When the remote has moved,
 * the local branch is moved to the fetched tip (which drops only our own, unpushed commit), and the next attempt
 * re-applies the edits there; a tip that already holds every value ends the loop. History stays linear.
 */
import path from 'node:path';
import type { Logger } from '../../lib/command.ts';
import { UserError } from '../../lib/errors.ts';
import { GitError, type GitClient } from '../../lib/git.ts';
import { writeFilesAtomically } from '../../lib/paths.ts';
import type { Plan } from './plan.ts';

export interface Backoff {
  /** The first retry waits up to this long; each later one up to twice as long. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, maxMs: 8_000 };

export interface PublishOptions {
  readonly git: GitClient;
  /** Real path of the directory git runs in; file paths are given to git relative to it. */
  readonly gitCwd: string;
  /** Rebuilds the plan from the files as they are now. */
  readonly replan: () => Promise<Plan>;
  readonly message: (plan: Plan) => string;
  /** Push to this remote and branch; undefined to commit locally only. */
  readonly target: { readonly remote: string; readonly branch: string } | undefined;
  readonly maxAttempts: number;
  readonly backoff?: Backoff;
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

/** Full-jitter exponential backoff: a random wait between half and all of `base * 2^(attempt-1)`, capped. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Writes the plan's changed files and commits exactly them; on a failed commit the files get their content back. */
async function writeAndCommit(options: PublishOptions, plan: Plan): Promise<string> {
  const changed = plan.files.filter((file) => file.changed);
  await writeFilesAtomically(
    changed.map((file) => ({ realPath: file.realPath, text: file.after, mode: file.mode })),
    new Map(changed.map((file) => [file.realPath, file.before])),
  );
  const paths = changed.map((file) => path.relative(options.gitCwd, file.realPath).split(path.sep).join('/'));
  try {
    return await options.git.commit(options.message(plan), paths);
  } catch (error) {
    await writeFilesAtomically(
      changed.map((file) => ({ realPath: file.realPath, text: file.before, mode: file.mode })),
      new Map(),
    );
    if (error instanceof GitError) {
      throw new UserError(`git commit failed in ${options.gitCwd} (${oneLine(error.stderr)}); check the repository's commit hooks and configuration.`, {
        cause: error,
      });
    }
    throw error;
  }
}

export async function publish(firstPlan: Plan, options: PublishOptions): Promise<PublishResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
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
        `The push to ${remote}/${branch} was rejected ${attempt} times (last reason: ${outcome.reason}) because other jobs kept moving the branch; raise \`max-attempts\` or serialise the jobs with a concurrency group.`,
        { input: 'max-attempts' },
      );
    }
    const delay = backoffDelay(attempt, backoff, options.random);
    options.log.info(`The push to ${remote}/${branch} was rejected (${outcome.reason}); retrying on the new tip in ${delay} ms (attempt ${attempt + 1} of ${options.maxAttempts}).`);
    await sleep(delay);
    const tip = await options.git.fetchBranch(remote, branch);
    if (tip === undefined) {
      throw new UserError(`The branch "${branch}" disappeared from ${remote} while pushing to it; check the \`branch\` input.`, { input: 'branch' });
    }
    // Drops our unpushed commit and puts the tip's files in place; the edits are re-applied to them below.
    try {
      await options.git.resetKeep(tip);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new UserError(
        `The checkout could not be moved to the new tip of ${remote}/${branch} because uncommitted changes in other files would be overwritten (${oneLine(error.stderr)}); run bump-manifest on a clean checkout.`,
        { cause: error },
      );
    }
    plan = await options.replan();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
