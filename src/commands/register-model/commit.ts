/**
 * The commit a registration is for, which goes into the idempotency key and the `ml-gitops.commit` tag: the CI run's
 * commit (GITHUB_SHA, or another CI system's variable), else the checkout's HEAD, so a CLI run outside GitHub Actions
 * still tells two commits apart instead of reusing one version for every commit.
 */
import { GitClient } from '../../lib/git.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { nonEmpty } from '../../lib/text.ts';
import type { CommitFact } from './plan.ts';

export async function registrationCommit(env: Readonly<Record<string, string | undefined>>, workspace: string): Promise<CommitFact> {
  const fromCi = runFacts(env).commit;
  if (fromCi !== undefined) {
    const origin = nonEmpty(env.GITHUB_SHA) === fromCi ? 'GITHUB_SHA' : "the CI system's commit variable";
    return { commit: fromCi, origin };
  }
  const head = await checkoutHead(env, workspace);
  if (head !== undefined) return { commit: head, origin: `git rev-parse HEAD in ${workspace}` };
  return { commit: undefined, origin: 'none' };
}

/** HEAD of the checkout the workspace is in, or undefined (not a checkout, no commit yet, no git on PATH). */
async function checkoutHead(env: Readonly<Record<string, string | undefined>>, workspace: string): Promise<string | undefined> {
  try {
    return await new GitClient({ cwd: workspace, env }).tryRevParse('HEAD');
  } catch {
    // No git executable (or the workspace is gone): the registration simply has no commit, as before.
    return undefined;
  }
}
