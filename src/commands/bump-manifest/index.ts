/**
 * `bump-manifest`: sets scalars in GitOps manifests (changing only their bytes), commits them with ledger trailers
 * and pushes without losing an update when other jobs push to the same branch at once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { defineCommand, flag, lines, number, text, type RunContext } from '../../lib/command.ts';
import { UserError } from '../../lib/errors.ts';
import { GitClient } from '../../lib/git.ts';
import { writeFilesAtomically } from '../../lib/paths.ts';
import { buildCommitMessage, checkTemplate, MESSAGE_PLACEHOLDERS, parseAuthor, workflowRunUrl } from './message.ts';
import { buildPlan, changedFiles, parseUpdates, previousValues, type Plan } from './plan.ts';
import { publish, type PublishResult } from './publish.ts';
import { summaryMarkdown, unifiedDiff, type SummaryFacts } from './report.ts';

export const DEFAULT_AUTHOR = 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';

export const bumpManifest = defineCommand({
  name: 'bump-manifest',
  description:
    'Sets values in GitOps manifests (Helm values, Kustomize overlays, Argo CD Applications, Kubernetes manifests) changing only the bytes of the targeted scalars, then commits with ledger trailers and pushes, retrying on the new tip when other jobs push at the same time.',
  inputs: {
    path: text({ description: 'The manifest repository checkout; `<file>` paths are relative to it.', defaultDescription: 'the workspace' }),
    updates: lines({
      description:
        'One edit per line, `<file>:<selector>=<value>`; `<file>` may be a glob, the selector is `a.b[0].c`, `list[name=x].field` or `(Kind/name).path` for multi-document files.',
      required: true,
    }),
    'create-missing': flag({ description: 'Create missing map keys on the selector path (never list items).', default: 'false' }),
    commit: flag({ description: 'Commit the changed files.', default: 'true' }),
    push: flag({ description: 'Push the commit, re-applying the edits on the new tip when the push is rejected because the branch moved.', default: 'true' }),
    branch: text({ description: 'The branch to push to; required on a detached HEAD.', defaultDescription: 'the checked-out branch' }),
    remote: text({ description: 'The remote to push to.', default: 'origin' }),
    'commit-message': text({
      description: `Commit message template; placeholders ${MESSAGE_PLACEHOLDERS.map((p) => `\`{${p}}\``).join(', ')}. The trailers are always appended.`,
      defaultDescription: '`Bump <model> to <version> in <environment>` and one line per change',
    }),
    author: text({ description: 'Author and committer of the commit, `Name <email>`.', default: DEFAULT_AUTHOR }),
    'max-attempts': number({ description: 'How many times to try the push before giving up.', default: '10', integer: true, min: 1, max: 100 }),
    'dry-run': flag({ description: 'Print the diff and write nothing.', default: 'false' }),
    'model-name': text({ description: 'The model promoted, for the commit message and the `Model-Name` trailer.' }),
    environment: text({ description: 'The environment promoted to, for the commit message and the `Environment` trailer.' }),
    'model-version': text({ description: 'The version promoted, for the commit message and the `Model-Version` trailer.' }),
  },
  outputs: {
    changed: { description: '`true` when a file changed (in a dry run: would change), else `false`.' },
    'changed-files': { description: 'JSON list of the changed files, relative to `path`.' },
    previous: { description: 'JSON object `file:selector` -> the value found there before (null when the key was created).' },
    'commit-sha': { description: 'The SHA of the commit made (empty when nothing was committed).' },
    diff: { description: 'Unified diff of the changes (also in a dry run).' },
  },
  async run(inputs, ctx) {
    const root = path.resolve(ctx.workspace, inputs.path ?? '.');
    const updates = parseUpdates(inputs.updates);
    if (inputs.commitMessage !== undefined) checkTemplate(inputs.commitMessage);
    const identity = parseAuthor(inputs.author);
    const replan = () => buildPlan(root, updates, { createMissing: inputs.createMissing });

    // Every line is parsed, every file resolved and every edit applied in memory before anything is written.
    const plan = await replan();
    logChanges(ctx, plan);

    if (inputs.dryRun) {
      const diff = unifiedDiff(plan);
      if (diff !== '') await ctx.log.group('Diff (dry run: nothing written)', async () => ctx.log.info(diff));
      return finish(ctx, { plan, dryRun: true, sha: undefined, attempts: 0, status: 'dry-run', target: undefined }, diff);
    }
    if (!inputs.commit) {
      const diff = unifiedDiff(plan);
      const changed = plan.files.filter((file) => file.changed);
      await writeFilesAtomically(
        changed.map((file) => ({ realPath: file.realPath, text: file.after, mode: file.mode })),
        new Map(changed.map((file) => [file.realPath, file.before])),
      );
      return finish(ctx, { plan, dryRun: false, sha: undefined, attempts: 0, status: 'written', target: undefined }, diff);
    }

    const result = await commitAndPush(ctx, root, plan, inputs, identity, replan);
    const diff = result.status === 'up-to-date' ? '' : unifiedDiff(result.plan);
    const target = inputs.push ? result.target : undefined;
    return finish(ctx, { plan: result.plan, dryRun: false, sha: result.sha, attempts: result.attempts, status: result.status, target }, diff);
  },
});

function logChanges(ctx: RunContext, plan: Plan): void {
  for (const file of plan.files) {
    for (const edit of file.edits) {
      const state = edit.changed ? `${edit.previous ?? '(new)'} -> ${edit.value}` : `already ${edit.value}`;
      ctx.log.info(`${file.relativePath}:${edit.selector}: ${state}`);
    }
  }
}

function finish(ctx: RunContext, facts: SummaryFacts, diff: string) {
  ctx.summary(summaryMarkdown(facts));
  const changed = facts.status === 'up-to-date' ? false : facts.plan.changed;
  return {
    changed,
    'changed-files': changed ? changedFiles(facts.plan) : [],
    previous: previousValues(facts.plan),
    'commit-sha': facts.sha ?? '',
    diff,
  };
}

interface GitInputs {
  readonly push: boolean;
  readonly branch: string | undefined;
  readonly remote: string;
  readonly commitMessage: string | undefined;
  readonly maxAttempts: number;
  readonly modelName: string | undefined;
  readonly environment: string | undefined;
  readonly modelVersion: string | undefined;
}

async function commitAndPush(
  ctx: RunContext,
  root: string,
  firstPlan: Plan,
  inputs: GitInputs,
  identity: { name: string; email: string },
  replan: () => Promise<Plan>,
): Promise<PublishResult & { target: { remote: string; branch: string } }> {
  const gitCwd = await fs.realpath(root);
  const git = new GitClient({ cwd: gitCwd, env: ctx.env, identity });
  if ((await git.topLevel()) === undefined) {
    throw new UserError(`The \`path\` directory ${root} is not a git checkout; check out the manifest repository there or set \`commit: false\`.`, { input: 'path' });
  }
  const head = await git.tryRevParse('HEAD');
  if (head === undefined) {
    throw new UserError(`The checkout at ${root} has no commit yet; push an initial commit to the manifest repository first.`, { input: 'path' });
  }
  const targetPaths = firstPlan.files.map((file) => path.relative(gitCwd, file.realPath).split(path.sep).join('/'));
  const dirty = await git.status(targetPaths);
  if (dirty.length > 0) {
    const shown = dirty.map((entry) => entry.path).join(', ');
    const first = firstPlan.files[targetPaths.indexOf(dirty[0]?.path ?? '')];
    throw new UserError(`The files ${shown} have uncommitted changes in ${root}; commit or discard them before bump-manifest commits its edits.`, {
      input: 'updates',
      location: { file: first?.relativePath ?? shown },
    });
  }

  const current = await git.currentBranch();
  const branch = inputs.branch ?? current;
  if (branch === undefined) {
    throw new UserError('The checkout is on a detached HEAD; set the `branch` input to the branch to push to.', { input: 'branch' });
  }
  if ((await git.run(['check-ref-format', '--branch', branch])).exitCode !== 0) {
    throw new UserError(`Input "branch" is not a valid branch name (got ${JSON.stringify(branch)}).`, { input: 'branch' });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(inputs.remote) && !/^ssh:\/\/[^/:@]+@/i.test(inputs.remote)) {
    throw new UserError('Input "remote" contains credentials in its URL; name a configured remote (e.g. origin) and let actions/checkout store the token.', {
      input: 'remote',
    });
  }
  const target = { remote: inputs.remote, branch };
  const facts = {
    modelName: inputs.modelName,
    modelVersion: inputs.modelVersion,
    environment: inputs.environment,
    workflowRun: workflowRunUrl(ctx.env),
  };

  let detachedFrom: string | undefined;
  try {
    let plan = firstPlan;
    if (inputs.push && current !== branch) {
      // Not on the target branch (detached, or another branch checked out): start from the target's tip, so nothing
      // of the checked-out branch is pushed to it, and leave the local branch alone.
      const tip = await git.fetchBranch(target.remote, branch);
      if (current !== undefined) {
        await git.detach();
        detachedFrom = current;
      }
      if (tip !== undefined && tip !== head) {
        await git.resetKeep(tip);
        plan = await replan();
      }
    }
    const result = await publish(plan, {
      git,
      gitCwd,
      replan,
      message: (planned) => buildCommitMessage(planned, inputs.commitMessage, facts),
      target: inputs.push ? target : undefined,
      maxAttempts: inputs.maxAttempts,
      log: ctx.log,
    });
    return { ...result, target };
  } catch (error) {
    await restore(ctx, git, head, detachedFrom);
    throw error;
  }
}

/** Puts HEAD (and the branch) back where the run found them after a failure; the target files were clean then. */
async function restore(ctx: RunContext, git: GitClient, head: string, detachedFrom: string | undefined): Promise<void> {
  try {
    if ((await git.tryRevParse('HEAD')) !== head) await git.resetKeep(head);
    if (detachedFrom !== undefined) await git.checkout(detachedFrom);
  } catch (error) {
    ctx.log.warning(`Could not put the checkout back at ${head.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
