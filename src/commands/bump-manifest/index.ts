/**
 * `bump-manifest`: sets scalars in GitOps manifests (changing only their bytes), commits them with ledger trailers
 * and pushes without losing an update when other jobs push to the same branch at once.
 */
import path from 'node:path';
import { defineCommand, flag, lines, number, text, type RunContext } from '../../lib/command.ts';
import { GitClient, parseIdentity } from '../../lib/git.ts';
import {
  buildCommitMessage,
  buildPlan,
  changedFiles,
  checkTemplate,
  diskSource,
  MESSAGE_PLACEHOLDERS,
  parseUpdates,
  previousValues,
  publishPlan,
  unifiedDiff,
  writePlanFiles,
  type Plan,
  type PlanInputs,
  type PublishInputs,
} from '../../lib/manifest/index.ts';
import { openRegistry } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, REGISTRY_RULES, registryOptions } from '../../lib/registry/inputs.ts';
import { refuseRolledBackVersion } from '../../lib/registry/rolled-back.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { summaryMarkdown, type SummaryFacts } from './summary.ts';

const PLAN_INPUTS: PlanInputs = { updates: 'updates', root: 'path' };
const PUBLISH_INPUTS: PublishInputs = { ...PLAN_INPUTS, branch: 'branch', remote: 'remote', createBranch: 'create-branch', maxAttempts: 'max-attempts' };

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
    branch: text({ description: 'The branch to push to; required on a detached HEAD. It must exist on the remote unless `create-branch` is true.', defaultDescription: 'the checked-out branch' }),
    'create-branch': flag({ description: 'Create `branch` on the remote when it does not exist there (otherwise a missing branch is refused as a probable typo).', default: 'false' }),
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
    'model-version': text({
      description:
        'The version promoted, for the commit message and the `Model-Version` trailer. With `model-name`, a version the registry tags as rolled back is refused.',
    }),
    ...REGISTRY_INPUTS,
    'allow-rolled-back': flag({ description: 'Promote `model-version` even when the registry tags it ml-gitops.rolled-back=true.', default: 'false' }),
  },
  rules: REGISTRY_RULES,
  outputs: {
    changed: { description: '`true` when a file changed (in a dry run: would change), else `false`.' },
    'changed-files': { description: 'JSON list of the changed files, relative to `path`.' },
    previous: { description: 'JSON object `file:selector` -> the value found there before (null when the key was created).' },
    'commit-sha': { description: 'The SHA of the commit made (empty when nothing was committed).' },
    diff: { description: 'Unified diff of the changes (also in a dry run).' },
  },
  async run(inputs, ctx) {
    const root = path.resolve(ctx.workspace, inputs.path ?? '.');
    const updates = parseUpdates(inputs.updates, PLAN_INPUTS.updates);
    if (inputs.commitMessage !== undefined) checkTemplate(inputs.commitMessage, 'commit-message');
    const identity = parseIdentity(inputs.author, 'author');
    if (inputs.modelName !== undefined && inputs.modelVersion !== undefined) {
      // A version taken out of service by rollback must not come back with the next automated bump.
      await refuseRolledBackVersion(openRegistry(registryOptions(inputs, ctx)), inputs.modelName, inputs.modelVersion, {
        allow: inputs.allowRolledBack,
        allowInput: 'allow-rolled-back',
        action: 'bump-manifest',
        warn: (message) => ctx.log.warning(message),
      });
    }
    const source = await diskSource(root, PLAN_INPUTS.root);
    const replan = () => buildPlan(source, updates, { createMissing: inputs.createMissing, inputs: PLAN_INPUTS });

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
      await writePlanFiles(plan.files.filter((file) => file.changed), 'after');
      return finish(ctx, { plan, dryRun: false, sha: undefined, attempts: 0, status: 'written', target: undefined }, diff);
    }

    const facts = {
      modelName: inputs.modelName,
      modelVersion: inputs.modelVersion,
      environment: inputs.environment,
      workflowRun: runFacts(ctx.env).runUrl,
    };
    const result = await publishPlan({
      root,
      git: new GitClient({ cwd: root, env: ctx.env, identity }),
      firstPlan: plan,
      replan,
      message: (planned) => buildCommitMessage(planned, inputs.commitMessage, facts),
      push: inputs.push,
      branch: inputs.branch,
      remote: inputs.remote,
      createBranch: inputs.createBranch,
      maxAttempts: inputs.maxAttempts,
      inputs: PUBLISH_INPUTS,
      log: ctx.log,
    });
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
