/**
 * The revision to wait for, and how a synced revision relates to it, from a checkout of the manifest repository:
 * a branch or tag name is resolved after a fetch, and a descendant of the revision counts as running it.
 */
import type { RunContext } from '../command.ts';
import { inputRef, UserError } from '../errors.ts';
import { GitClient } from '../git.ts';
import type { RevisionHistoryCheck } from './wait.ts';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** A full commit SHA for `revision`: as given when it is one, else resolved in `checkout` (fetched first). */
export async function resolveRevision(revision: string, checkout: string | undefined, ctx: RunContext): Promise<string> {
  if (FULL_SHA.test(revision)) return revision;
  if (checkout === undefined) {
    if (/^[0-9a-f]{7,39}$/.test(revision)) return revision;
    throw new UserError(`${inputRef('revision')} "${revision}" is not a commit SHA; give the full SHA, or set ${inputRef('path')} to a checkout where it can be resolved.`, {
      input: 'revision',
    });
  }
  const git = new GitClient({ cwd: checkout, env: ctx.env });
  await git.run(['fetch', '--quiet', '--tags', 'origin']);
  for (const candidate of [`origin/${revision}`, revision]) {
    const sha = await git.tryRevParse(candidate);
    if (sha !== undefined) return sha;
  }
  throw new UserError(`${inputRef('revision')} "${revision}" is no commit, branch or tag of the checkout at ${checkout}; check the value.`, { input: 'revision' });
}

/** Ancestry questions answered by git in the checkout; a commit it does not have yet is fetched once. */
export function gitHistory(checkout: string, ctx: RunContext): RevisionHistoryCheck {
  const git = new GitClient({ cwd: checkout, env: ctx.env });
  let fetched = false;
  const ensure = async (sha: string): Promise<boolean> => {
    if ((await git.tryRevParse(sha)) !== undefined) return true;
    if (!fetched) {
      fetched = true;
      await git.run(['fetch', '--quiet', 'origin']);
    }
    return (await git.tryRevParse(sha)) !== undefined;
  };
  return {
    async contains(revision, candidate) {
      if (!(await ensure(revision)) || !(await ensure(candidate))) return false;
      return git.isAncestor(revision, candidate);
    },
    async isOlder(revision, candidate) {
      // Unknown to the checkout: treat as not yet seen (older), so the wait goes on instead of failing.
      if (!(await ensure(revision)) || !(await ensure(candidate))) return true;
      return git.isAncestor(candidate, revision);
    },
  };
}
