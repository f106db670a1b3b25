/**
 * `open-promotion-pr`: turns "promote model M version V to environment E" into exactly one up-to-date, reviewable,
 * verified pull request, read first and written only where it differs. The logic lives in src/lib/promotion-pr (so
 * rollback opens its PRs the same way); this file is the schema and the wiring.
 */
import path from 'node:path';
import { choice, defineCommand, flag, lines, list, text } from '../../lib/command.ts';
import { inputRef, UserError } from '../../lib/errors.ts';
import { readEvaluationReport } from '../../lib/evaluation-report.ts';
import type { GitHubRequestEvent } from '../../lib/github/index.ts';
import { connectGitHub, GITHUB_REPOSITORY_INPUTS, requiredTokenInput } from '../../lib/github/inputs.ts';
import { checkTemplate, MESSAGE_PLACEHOLDERS, parseUpdates } from '../../lib/manifest/index.ts';
import { branchInput, branchProblem, defaultBranchName, openPromotionPullRequest, type PromotionInputNames } from '../../lib/promotion-pr/index.ts';
import { openRegistry } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, REGISTRY_RULES, registryOptions } from '../../lib/registry/inputs.ts';
import { refuseRolledBackVersion } from '../../lib/registry/rolled-back.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { summaryMarkdown, TOKEN_WARNING } from './summary.ts';

const INPUT_NAMES: PromotionInputNames = {
  updates: 'updates',
  headBranch: 'head-branch',
  base: 'base',
  branch: 'branch',
  body: 'body',
  milestone: 'milestone',
  autoMerge: 'auto-merge',
  autoMergeFallback: 'auto-merge-fallback',
};

export const openPromotionPr = defineCommand({
  name: 'open-promotion-pr',
  description:
    'Opens or updates the one pull request that promotes a model version to an environment: a verified commit of the manifest edits on top of the base branch, the evaluation table in the body, labels, reviewers and auto-merge, superseding older promotion PRs; a rerun with the same inputs writes nothing.',
  inputs: {
    token: requiredTokenInput(
      'The GitHub token: `contents: write` and `pull-requests: write`. PRs opened with the workflow\'s GITHUB_TOKEN start no workflows; use a GitHub App token for required checks.',
    ),
    ...GITHUB_REPOSITORY_INPUTS,
    'model-name': text({ description: 'The model promoted.', required: true }),
    'model-version': text({ description: 'The version promoted.', required: true }),
    environment: text({ description: 'The environment promoted to; with the model, it names the promotion branch and the one PR.', required: true }),
    updates: lines({
      description:
        'Manifest edits, one `<file>:<selector>=<value>` per line (the syntax of bump-manifest), applied to the tip of `base` and committed to the promotion branch as one verified commit. Each file is named (no globs).',
    }),
    'head-branch': branchInput(text({ description: 'Instead of `updates`: a branch that already holds the change (pushed by bump-manifest, say); only the PR is opened or updated.' })),
    'create-missing': flag({ description: 'Create missing map keys on the selector path (never list items).', default: 'false' }),
    'commit-message': text({
      description: `Commit message template; placeholders ${MESSAGE_PLACEHOLDERS.map((p) => `\`{${p}}\``).join(', ')}. The ledger trailers are always appended.`,
      defaultDescription: '`Bump <model> to <version> in <environment>` and one line per change',
    }),
    branch: branchInput(text({ description: 'The promotion branch `updates` are committed to.', defaultDescription: '`ml-gitops/promote/<model-name>/<environment>`' })),
    base: branchInput(text({ description: 'The branch the PR merges into.', defaultDescription: 'the default branch of `repository` (one more request)' })),
    title: text({ description: 'The PR title.', defaultDescription: '`Promote <model> <version> to <environment>`' }),
    body: text({ description: 'Your text at the top of a new PR; the generated section (evaluation, diff, run link) follows it between markers. Text outside the markers is never changed.' }),
    labels: list({ description: 'Labels to add (created with a colour when missing); labels people add are kept. The `ml-gitops` label is always added.' }),
    assignees: list({ description: 'Logins to assign.' }),
    reviewers: list({ description: 'Logins to request a review from; someone who already reviewed is not asked again.' }),
    'team-reviewers': list({ description: 'Team slugs to request a review from (needs a token that can read the organisation\'s teams).' }),
    milestone: text({ description: 'The milestone, by title or number.' }),
    draft: flag({
      description:
        'Open the PR as a draft (`true`) or ready for review (`false`); when set, a later run converts the open PR to match. Leave it empty to open it ready for review and keep the draft state people set afterwards.',
    }),
    'auto-merge': choice(['off', 'merge', 'squash', 'rebase'] as const, {
      description: 'Enable GitHub auto-merge with this method, or add the PR to the merge queue when the base branch has one.',
      default: 'off',
    }),
    'auto-merge-fallback': choice(['fail', 'merge', 'leave'] as const, {
      description: 'When auto-merge cannot be enabled (the repository does not allow it, or the PR is already mergeable): fail the step, merge at once, or leave the PR open with a warning.',
      default: 'fail',
    }),
    'delete-superseded-branches': flag({ description: 'Delete the ml-gitops branches of the promotion PRs this one supersedes.', default: 'true' }),
    'delete-branch': flag({ description: 'When the base already holds every value, delete the promotion branch after closing its PR.', default: 'true' }),
    'evaluation-report': text({ description: 'The report of evaluate-model (its `report-path` output), shown as the evaluation table in the body.' }),
    ...REGISTRY_INPUTS,
    'allow-rolled-back': flag({ description: 'Promote `model-version` even when the registry tags it ml-gitops.rolled-back=true.', default: 'false' }),
  },
  rules: [{ kind: 'one-of', inputs: ['updates', 'head-branch'], reason: 'the change is either edited here or already on a branch' }, { kind: 'exclusive', inputs: ['head-branch', 'branch'] }, ...REGISTRY_RULES],
  outputs: {
    'pull-request-number': { description: 'The PR number (empty when there is no PR: the base already holds every value).' },
    'pull-request-url': { description: 'The PR URL.' },
    'pull-request-head-sha': { description: 'The head commit of the PR.' },
    operation: { description: '`created`, `updated`, `unchanged` (nothing written) or `closed` (the base already holds every value).' },
    branch: { description: 'The head branch of the PR.' },
    superseded: { description: 'JSON list of the numbers of the PRs closed as superseded.' },
    'auto-merge': { description: '`enabled`, `queued`, `merged` or `off`.' },
  },
  async run(inputs, ctx) {
    const facts = runFacts(ctx.env);
    const requests: GitHubRequestEvent[] = [];
    const { gh, repository } = connectGitHub(inputs, ctx, { baseInput: 'base', onRequest: (event) => void requests.push(event) });
    const updates = inputs.updates === undefined ? undefined : parseUpdates(inputs.updates, 'updates');
    if (inputs.commitMessage !== undefined) checkTemplate(inputs.commitMessage, 'commit-message');
    const branch = inputs.branch ?? defaultBranchName(inputs.modelName, inputs.environment);
    const problem = updates === undefined ? undefined : branchProblem(branch);
    if (problem !== undefined) {
      const input = inputs.branch === undefined ? 'model-name' : 'branch';
      throw new UserError(
        `The promotion branch "${branch}" ${problem}${inputs.branch === undefined ? `: it is made of ${inputRef('model-name')} and ${inputRef('environment')}; set ${inputRef('branch')} to a valid branch name` : ''}.`,
        { input },
      );
    }
    const evaluation =
      inputs.evaluationReport === undefined ? undefined : await readEvaluationReport(path.resolve(ctx.workspace, inputs.evaluationReport), inputs.evaluationReport, 'evaluation-report');
    // A version taken out of service by rollback must not come back through a promotion PR (as in bump-manifest).
    await refuseRolledBackVersion(openRegistry(registryOptions(inputs, ctx)), inputs.modelName, inputs.modelVersion, {
      allow: inputs.allowRolledBack,
      allowInput: 'allow-rolled-back',
      action: 'open-promotion-pr',
      warn: (message) => ctx.log.warning(message),
    });

    const outcome = await openPromotionPullRequest(gh, {
      modelName: inputs.modelName,
      modelVersion: inputs.modelVersion,
      environment: inputs.environment,
      change:
        updates !== undefined
          ? { kind: 'updates', updates, createMissing: inputs.createMissing, commitMessage: inputs.commitMessage }
          : { kind: 'head-branch', branch: inputs.headBranch as string },
      base: inputs.base,
      branch,
      title: inputs.title,
      body: inputs.body,
      labels: inputs.labels ?? [],
      reviewers: inputs.reviewers ?? [],
      teamReviewers: inputs.teamReviewers ?? [],
      assignees: inputs.assignees ?? [],
      milestone: inputs.milestone,
      draft: inputs.draft,
      autoMerge: inputs.autoMerge,
      autoMergeFallback: inputs.autoMergeFallback,
      deleteSupersededBranches: inputs.deleteSupersededBranches,
      deleteBranch: inputs.deleteBranch,
      evaluation,
      runUrl: facts.runUrl,
      inputs: INPUT_NAMES,
      log: ctx.log,
    });
    if (outcome.githubActionsToken) ctx.log.warning(TOKEN_WARNING);
    ctx.summary(summaryMarkdown(outcome, requests, repository));
    return {
      'pull-request-number': outcome.pullRequest?.number ?? '',
      'pull-request-url': outcome.pullRequest?.url ?? '',
      'pull-request-head-sha': outcome.pullRequest?.headSha ?? '',
      operation: outcome.operation,
      branch: outcome.branch,
      superseded: outcome.superseded,
      'auto-merge': outcome.autoMerge,
    };
  },
});
