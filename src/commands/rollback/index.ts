/**
 * `rollback`: puts the last healthy version of a model back in an environment — in git (the same `file:selector`
 * scalars the ledger recorded, byte-preserving, race-safe push), in the registry (the alias moved back, the bad
 * version tagged as rolled back) and, when Argo CD inputs are given, in the cluster (waits until the rollback commit
 * runs and is healthy). One operation: a rerun resumes where a failed run stopped, and an identical second run
 * reports `already-rolled-back`.
 *
 * `mode: pull-request` writes the same edits as a rollback PR (src/lib/promotion-pr, as open-promotion-pr does) on
 * `ml-gitops/rollback/<model>/<environment>`, and does at once only what must not wait for the review: the bad version
 * is tagged as rolled back, so no promotion brings it back meanwhile. The alias stays on the running version and Argo
 * CD has nothing to run until the PR is merged; running rollback again with the same inputs after the merge finds the
 * rollback commit in the ledger and finishes those steps, as a rerun after a fault does.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { choice, defineCommand, flag, lines, list, number, text, type RunContext } from '../../lib/command.ts';
import { ARGOCD_INPUTS, ARGOCD_RULES, connectArgoCd } from '../../lib/argocd/inputs.ts';
import { gitHistory } from '../../lib/argocd/revision.ts';
import { resolveApplications, targetName, waitForApplications, type WaitResultKind } from '../../lib/argocd/wait.ts';
import type { ArgoCdClient } from '../../lib/argocd/client.ts';
import { describeHistory, tryArgoRollback } from '../../lib/argocd/rollback.ts';
import type { RevisionHistory } from '../../lib/argocd/types.ts';
import { inputRef, isUserError, UserError } from '../../lib/errors.ts';
import { GitClient, parseIdentity } from '../../lib/git.ts';
import type { GitHubClient } from '../../lib/github/index.ts';
import { connectGitHub, GITHUB_REPOSITORY_INPUTS, optionalTokenInput } from '../../lib/github/inputs.ts';
import { formatUpdate, promotionHistory, readLedger, type LedgerEntry, type LedgerUpdate } from '../../lib/ledger.ts';
import {
  buildCommitMessage,
  buildPlan,
  diskSource,
  parseUpdates,
  publishPlan,
  unifiedDiff,
  type PlanInputs,
  type PublishInputs,
  type UpdateLine,
} from '../../lib/manifest/index.ts';
import { BRANCH_PREFIX, branchInput, branchProblem, openPromotionPullRequest, type PromotionInputNames } from '../../lib/promotion-pr/index.ts';
import { openRegistry, type ModelRegistry } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, REGISTRY_RULES, registryOptions } from '../../lib/registry/inputs.ts';
import { rolledBackTags } from '../../lib/registry/rolled-back.ts';
import { isRolledBack } from '../../lib/registry/tags.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { chooseRollback, type RollbackChoice } from './choose.ts';
import { rollbackSummary, type RollbackReport } from './summary.ts';

const PLAN_INPUTS: PlanInputs = { updates: 'updates', root: 'path' };
const PUBLISH_INPUTS: PublishInputs = { ...PLAN_INPUTS, branch: 'branch', remote: 'remote', createBranch: 'create-branch', maxAttempts: 'max-attempts' };
const DEFAULT_AUTHOR = 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';
/** The rollback PR's sentences name rollback's inputs (it has no milestone, auto-merge or body of its own). */
const PULL_REQUEST_INPUTS: PromotionInputNames = {
  updates: 'updates',
  headBranch: 'pull-request-branch',
  base: 'branch',
  branch: 'pull-request-branch',
  body: 'reason',
  milestone: 'mode',
  autoMerge: 'mode',
  autoMergeFallback: 'mode',
};

/** One rollback PR per model and environment, beside (not instead of) its promotion PRs. */
export function rollbackBranchName(model: string, environment: string): string {
  return `${BRANCH_PREFIX}rollback/${model}/${environment}`;
}

export const rollback = defineCommand({
  name: 'rollback',
  description:
    'Puts the last healthy version of a model back in an environment: rewrites the manifest scalars the ledger recorded, moves the registry alias back, tags the bad version as rolled back, and waits for Argo CD when asked; a rerun resumes, a second run reports already-rolled-back.',
  inputs: {
    'model-name': text({ description: 'The model to roll back, as in the ledger\'s `Model-Name` trailer.', required: true }),
    environment: text({ description: 'The environment to roll back, as in the ledger\'s `Environment` trailer.', required: true }),
    'to-version': text({
      description: 'The version to put back.',
      defaultDescription: 'the last version promoted to the environment before the current one that is not itself rolled back',
    }),
    reason: text({ description: 'Why the rollback happens; recorded in the commit (`Reason` trailer) and on the bad version in the registry.' }),
    path: text({ description: 'The manifest repository checkout.', defaultDescription: 'the workspace' }),
    branch: text({ description: 'The branch whose ledger is read and which receives the rollback commit.', defaultDescription: 'the checked-out branch' }),
    remote: text({ description: 'The remote to push to.', default: 'origin' }),
    author: text({ description: 'Author and committer of the rollback commit, `Name <email>`.', default: DEFAULT_AUTHOR }),
    updates: lines({
      description:
        'Override of what to write, `<file>:<selector>=<value>` per line; only needed for ledgers written before the `Manifest-Update` trailer.',
    }),
    ...REGISTRY_INPUTS,
    alias: text({ description: 'The registry alias to move back to the restored version, e.g. `champion`.' }),
    mode: choice(['push', 'pull-request'] as const, {
      description:
        '`push` commits straight to `branch` (emergencies should not wait for review); `pull-request` opens (or updates) a rollback PR into `branch` instead and tags the bad version as rolled back at once; the alias moves and Argo CD is waited for when rollback runs again after the merge.',
      default: 'push',
    }),
    'pull-request-branch': branchInput(
      text({
        description: 'With `mode: pull-request`: the branch of the rollback PR.',
        defaultDescription: '`ml-gitops/rollback/<model-name>/<environment>`',
      }),
    ),
    token: optionalTokenInput('With `mode: pull-request`: the GitHub token that opens the rollback PR (`contents: write`, `pull-requests: write`).'),
    ...GITHUB_REPOSITORY_INPUTS,
    force: flag({ description: 'Roll back to a `to-version` the ledger never saw promoted there, or that was itself rolled back.', default: 'false' }),
    'max-attempts': number({ description: 'How many times to try the push before giving up.', default: '10', integer: true, min: 1, max: 100 }),
    ...ARGOCD_INPUTS,
    applications: list({ description: 'Argo CD applications that run the environment, to wait for after the rollback commit; `namespace/name` allowed.' }),
    selector: text({ description: 'Instead of or besides `applications`: a Kubernetes label selector of those Applications.' }),
    'children-of': text({ description: 'Instead of or besides `applications`: the app-of-apps parent whose child Applications run the environment.' }),
    'app-namespace': text({ description: 'The namespace of the Applications, when they live outside the control plane\'s.' }),
    project: text({ description: 'The Argo CD project of the applications.' }),
    wait: flag({
      description: 'With `server`: wait until Argo CD runs the rollback commit (or, after its own rollback, the target version) and it is healthy; an app with a manual sync policy is synced to the rollback commit.',
      default: 'true',
    }),
    timeout: number({ description: 'Seconds to wait for Argo CD.', default: '600', min: 1, unit: 'seconds' }),
    'argocd-rollback': flag({
      description:
        'With `server`: roll the applications back with the Argo CD rollback API to the newest history entry that ran the target version (faster recovery); an app with auto-sync on, which Argo CD refuses to roll back, gets the rollback commit instead, with a warning.',
      default: 'false',
    }),
    'dry-run': flag({ description: 'Say what would happen and change nothing.', default: 'false' }),
  },
  rules: [...ARGOCD_RULES, ...REGISTRY_RULES, { kind: 'requires', inputs: ['argocd-rollback', 'server'] }],
  outputs: {
    'from-version': { description: 'The version that was running (taken out of service).' },
    'to-version': { description: 'The version put back.' },
    'commit-sha': { description: 'The rollback commit (the existing one when the git part was already done).' },
    'alias-moved': { description: '`true` when the alias now points at `to-version` because of this run or an earlier attempt, else `false`.' },
    'argocd-result': { description: 'The Argo CD wait result (`healthy`, `degraded`, ...), or `skipped`.' },
    operation: {
      description:
        '`rolled-back`, `already-rolled-back` (nothing left to do), `pull-request` (the rollback waits in the open rollback PR: merge it, then run rollback again) or `dry-run`.',
    },
    'pull-request-number': { description: 'With `mode: pull-request`: the rollback PR (empty once the rollback is in `branch`).' },
    'pull-request-url': { description: 'With `mode: pull-request`: the rollback PR\'s URL.' },
  },
  async run(inputs, ctx) {
    const appSelection = { applications: inputs.applications ?? [], selector: inputs.selector, childrenOf: inputs.childrenOf, appNamespace: inputs.appNamespace, project: inputs.project };
    const hasApps = appSelection.applications.length > 0 || appSelection.selector !== undefined || appSelection.childrenOf !== undefined;
    if (inputs.argocdRollback && !hasApps) {
      throw new UserError(`${inputRef('argocd-rollback')} needs the applications to roll back: set ${inputRef('applications')}, ${inputRef('selector')} or ${inputRef('children-of')}.`, {
        input: 'applications',
      });
    }
    // Refused before anything is read or written: a rollback PR needs the API.
    const github =
      inputs.mode === 'pull-request' && !inputs.dryRun
        ? connectGitHub(inputs, ctx, {
            baseInput: 'branch',
            missingToken: `With ${inputRef('mode')} set to "pull-request", rollback opens its pull request through the GitHub API, which needs a token with contents: write and pull-requests: write: set ${inputRef('token')} (or GITHUB_TOKEN / GH_TOKEN in the environment), or set ${inputRef('mode')} to "push".`,
          })
        : undefined;
    const root = path.resolve(ctx.workspace, inputs.path ?? '.');
    const identity = parseIdentity(inputs.author, 'author');
    const facts = runFacts(ctx.env);
    const git = new GitClient({ cwd: root, env: ctx.env, identity });
    // git cannot even start in a directory that is not there (its error would blame the git executable).
    if (!(await isDirectory(root))) {
      throw new UserError(`The directory ${root} given by ${inputRef('path')} does not exist; check out the manifest repository there, or point ${inputRef('path')} at the checkout.`, { input: 'path' });
    }
    if ((await git.topLevel()) === undefined) {
      throw new UserError(`The directory ${root} given by ${inputRef('path')} is not a git checkout; check out the manifest repository there.`, { input: 'path' });
    }
    const branch = inputs.branch ?? (await git.currentBranch());
    if (branch === undefined) {
      throw new UserError(`The checkout is on a detached HEAD; set ${inputRef('branch')} to the branch to roll back.`, { input: 'branch' });
    }
    // The ledger as the remote has it now: a promotion pushed since the checkout counts.
    // The rollback lands on the remote's branch (pushed, or as the PR's base), so a branch it lacks is refused before
    // a ledger is read from some other branch.
    const tip = await git.fetchBranch(inputs.remote, branch);
    if (tip === undefined) {
      throw new UserError(`The branch "${branch}" does not exist on ${inputs.remote}, so it has no ledger to roll back; check ${inputRef('branch')} (and ${inputRef('remote')}).`, { input: 'branch' });
    }
    const readHistory = async (ref: string) =>
      promotionHistory(await readLedger(git, { ref, modelName: inputs.modelName, environment: inputs.environment }));
    const history = await readHistory(tip);
    const current = history.current;

    const reran = current !== undefined && isOurEarlierAttempt(current, inputs, facts.runUrl, inputs.mode === 'pull-request');
    const choice: RollbackChoice = reran
      ? { from: current.rollbackOf as string, to: current.modelVersion as string, updates: current.updates, source: current }
      : chooseRollback(history, {
          modelName: inputs.modelName,
          environment: inputs.environment,
          branch,
          toVersion: inputs.toVersion,
          force: inputs.force,
        });
    ctx.log.info(
      reran
        ? `The rollback of ${inputs.modelName} in ${inputs.environment} from ${choice.from} to ${choice.to} is already in git (${current.sha.slice(0, 12)}); finishing the other steps.`
        : `Rolling back ${inputs.modelName} in ${inputs.environment} from ${choice.from} to ${choice.to}.`,
    );

    const registry = openRegistry(registryOptions(inputs, ctx));
    if (registry !== undefined && !inputs.force) {
      const target = await registry.getVersion(inputs.modelName, choice.to);
      if (target !== undefined && isRolledBack(target.tags) && !reran) {
        throw new UserError(
          `Version ${choice.to} of model "${inputs.modelName}" is tagged as rolled back in ${registry.location}, so rollback will not put it back; name another version in ${inputRef('to-version')}, or set ${inputRef('force')} to true.`,
          { input: 'to-version' },
        );
      }
    }

    const updateLines = inputs.updates ?? choice.updates.map((update: LedgerUpdate) => formatUpdate(update));
    const updates = parseUpdates(updateLines, PLAN_INPUTS.updates);
    const source = await diskSource(root, PLAN_INPUTS.root);
    const replanAt = () => buildPlan(source, updates, { createMissing: false, inputs: PLAN_INPUTS });

    const report: RollbackReport = {
      model: inputs.modelName,
      environment: inputs.environment,
      from: choice.from,
      to: choice.to,
      reason: inputs.reason,
      branch,
      commit: undefined,
      commitStatus: 'unchanged',
      alias: inputs.alias,
      aliasMoved: false,
      tagged: false,
      registryLocation: registry?.location,
      argocd: 'skipped',
      dryRun: inputs.dryRun,
      mode: inputs.mode,
    };

    if (inputs.dryRun) {
      const plan = await replanAt();
      const diff = unifiedDiff(plan);
      if (diff !== '') await ctx.log.group('Diff (dry run: nothing written)', async () => ctx.log.info(diff));
      ctx.summary(rollbackSummary(report));
      return outputs(report, 'dry-run');
    }

    // 1. git: the rollback commit, unless an earlier attempt of this rollback made it (or its PR was merged).
    if (reran) {
      report.commit = current.sha;
    } else if (github !== undefined) {
      // Until the merge only the tag: the alias and the cluster follow the branch, which does not hold the rollback yet.
      // The tag comes first, so that whatever happens to the pull request, nothing promotes the bad version again.
      if (registry !== undefined) await restoreRegistry(registry, inputs, choice, report, facts.runUrl, ctx, { moveAlias: false });
      const pending = await openRollbackPullRequest(github.gh, inputs, choice, updates, { branch, runUrl: facts.runUrl, ctx }).catch((error: unknown) => {
        // The library's outputs are open-promotion-pr's, not rollback's: a failed rollback step reports only its own.
        throw isUserError(error) && error.outputs !== undefined
          ? new UserError(error.message, { location: error.location, input: error.input, title: error.title, cause: error })
          : error;
      });
      if (pending !== undefined) {
        report.pullRequest = pending;
        if (inputs.alias !== undefined) {
          ctx.log.info(`Alias "${inputs.alias}" stays where it is until pull request #${pending.number} is merged; run rollback again after the merge to move it to version ${choice.to}.`);
        }
        if (inputs.server !== undefined && hasApps) {
          report.argocdNotes = [`nothing to wait for until #${pending.number} is merged`];
          ctx.log.info(`Argo CD is not waited for: it has nothing new to run until pull request #${pending.number} is merged; run rollback again after the merge to wait for it.`);
        }
        ctx.summary(rollbackSummary(report));
        return outputs(report, 'pull-request');
      }
      ctx.log.warning(`${branch} already holds version ${choice.to}'s values; no rollback pull request was needed.`);
      report.commit = tip;
    } else {
      const firstPlan = await replanAt();
      const result = await publishPlan({
        root,
        git,
        firstPlan,
        replan: async () => {
          // The branch moved under us: if the newer commit promotes the bad version again, writing over it would hide
          // that; refuse and let a person decide.
          const now = await readHistory('HEAD');
          if (now.current?.kind === 'promotion' && now.current.modelVersion === choice.from && now.current.sha !== current?.sha) {
            throw new UserError(
              `While rolling back, ${now.current.sha.slice(0, 12)} promoted version ${choice.from} of "${inputs.modelName}" to ${inputs.environment} again; resolve that promotion first, then run rollback again.`,
            );
          }
          return replanAt();
        },
        message: (plan) =>
          buildCommitMessage(plan, undefined, {
            modelName: inputs.modelName,
            modelVersion: choice.to,
            environment: inputs.environment,
            workflowRun: facts.runUrl,
            rollbackOf: choice.from,
            reason: inputs.reason,
          }),
        push: true,
        branch,
        remote: inputs.remote,
        createBranch: false,
        maxAttempts: inputs.maxAttempts,
        inputs: PUBLISH_INPUTS,
        log: ctx.log,
      });
      report.commit = result.sha;
      report.commitStatus = result.status === 'up-to-date' ? 'unchanged' : 'pushed';
      if (result.status === 'up-to-date') ctx.log.warning(`The manifests already held version ${choice.to}'s values; no commit was needed.`);
    }

    // 2. the registry: alias back, bad version tagged (each step skipped when already done, so a rerun completes it).
    if (registry !== undefined) await restoreRegistry(registry, inputs, choice, report, facts.runUrl, ctx);

    // 3. the cluster: Argo CD's own rollback where asked and possible, then wait until every app runs version `to` healthy.
    if (inputs.server !== undefined && hasApps && (inputs.wait || inputs.argocdRollback)) {
      const client = await connectArgoCd(inputs, ctx);
      try {
        // Argo CD's rollback goes app by app, so the selector and the parent are resolved to names first.
        const applications = inputs.argocdRollback ? (await resolveApplications(client, appSelection)).targets.map(targetName) : undefined;
        const viaArgo = applications === undefined ? new Map<string, StartedRollback>() : await argoRollback(client, applications, choice, report, versionAtCommit(git, inputs), inputs, ctx);
        if (inputs.wait && report.commit !== undefined) {
          const common = {
            appNamespace: inputs.appNamespace,
            project: inputs.project,
            health: true,
            onSuspended: 'wait',
            prune: false,
            refresh: 'normal',
            timeoutMs: inputs.timeout * 1000,
            runId: `${facts.runUrl ?? 'ml-gitops'}#${randomUUID().slice(0, 8)}`,
            log: ctx.log,
          } as const;
          // Without Argo CD's rollback the selection goes to the wait as given (a selector's own stream).
          const viaGit = applications === undefined ? appSelection : { applications: applications.filter((name) => !viaArgo.has(name)) };
          const waits = await Promise.all([
            // An app with a manual sync policy is synced to the rollback commit: nobody else would start that sync.
            ...(applications === undefined || viaGit.applications.length > 0
              ? [waitForApplications(client, { ...common, ...viaGit, revision: report.commit, history: gitHistory(root, ctx), sync: true })]
              : []),
            // After Argo CD's rollback the app runs exactly the entry's revision (every later commit contains it, the bad
            // one too, so no descendant counts) and may show OutOfSync against the branch.
            ...[...viaArgo].map(([name, started]) =>
              waitForApplications(client, { ...common, applications: [name], revision: started.revision, afterRollback: true, operationSince: started.requestedAt }),
            ),
          ]);
          const unready = waits.filter((waited) => waited.result !== 'healthy');
          report.argocd = unready.map((waited) => waited.result).sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b))[0] ?? 'healthy';
          if (unready.length > 0) {
            ctx.summary(rollbackSummary(report));
            throw new UserError(`The rollback to ${choice.to} is in git and the registry, but ${unready.map((waited) => waited.failure ?? `Argo CD ended ${waited.result}.`).join(' ')}`, {
              outputs: outputs(report, 'rolled-back'),
            });
          }
        }
      } finally {
        await client.close();
      }
    }

    ctx.summary(rollbackSummary(report));
    const didWork = report.commitStatus === 'pushed' || report.aliasMoved || report.tagged;
    return outputs(report, didWork ? 'rolled-back' : 'already-rolled-back');
  },
});

/** The worst wait result first: what `argocd-result` reports when apps end differently. */
const SEVERITY: readonly WaitResultKind[] = ['failed', 'degraded', 'timeout', 'suspended', 'healthy'];

/** An app Argo CD rolls back (or already runs the target's history entry): the wait follows that entry's revision. */
interface StartedRollback {
  revision: string | undefined;
  requestedAt: number | undefined;
}

/** The version of the model the ledger says ran in the environment at a commit (cached; undefined when unknown here). */
function versionAtCommit(git: GitClient, inputs: { modelName: string; environment: string }): (sha: string) => Promise<string | undefined> {
  const cache = new Map<string, Promise<string | undefined>>();
  return (sha) => {
    let answer = cache.get(sha);
    if (answer === undefined) {
      answer = readLedger(git, { ref: sha, modelName: inputs.modelName, environment: inputs.environment }).then(
        (entries) => promotionHistory(entries).current?.modelVersion,
        () => undefined,
      );
      cache.set(sha, answer);
    }
    return answer;
  };
}

/**
 * Argo CD's own rollback of each app to its newest history entry that ran the target version (the ledger at the
 * entry's commit says which version that was): faster than syncing the rollback commit. An app with auto-sync on is
 * left to the rollback commit, with a warning: Argo CD refuses the rollback, and auto-sync would redeploy the bad
 * commit right after it anyway, while it deploys the rollback commit by itself. An app whose history no longer holds
 * such an entry is left to the commit too.
 */
async function argoRollback(
  client: ArgoCdClient,
  applications: readonly string[],
  choice: RollbackChoice,
  report: RollbackReport,
  versionAt: (sha: string) => Promise<string | undefined>,
  scope: { appNamespace: string | undefined; project: string | undefined },
  ctx: RunContext,
): Promise<Map<string, StartedRollback>> {
  const started = new Map<string, StartedRollback>();
  const commit = report.commit === undefined ? 'the rollback commit' : `the rollback commit ${report.commit.slice(0, 12)}`;
  const notes: string[] = [];
  for (const name of applications) {
    const ranTarget = async (entry: RevisionHistory): Promise<boolean> => {
      for (const sha of [entry.revision, ...(entry.revisions ?? [])]) if (sha !== undefined && sha !== '' && (await versionAt(sha)) === choice.to) return true;
      return false;
    };
    // `namespace/name` for an app outside the control plane's namespace, as the wait takes it.
    const slash = name.indexOf('/');
    const attempt = await tryArgoRollback(client, slash === -1 ? name : name.slice(slash + 1), ranTarget, {
      appNamespace: slash === -1 ? scope.appNamespace : name.slice(0, slash),
      project: scope.project,
    });
    if (attempt.kind === 'auto-sync') {
      ctx.log.warning(
        `Argo CD application ${name} has auto-sync on, so Argo CD refuses to roll it back (and auto-sync would redeploy the bad commit right after); ${commit} brings version ${choice.to} back instead, through auto-sync.`,
      );
      notes.push(`${name}: auto-sync on, rolled back through git`);
      continue;
    }
    if (attempt.kind === 'no-entry') {
      ctx.log.warning(
        `Argo CD application ${name} keeps no history entry that ran version ${choice.to} (its history: ${describeHistory(attempt.app)}); ${commit} brings it back instead.`,
      );
      notes.push(`${name}: no history entry of ${choice.to}, rolled back through git`);
      continue;
    }
    const revision = attempt.revision === undefined ? '' : ` (${attempt.revision.slice(0, 12)})`;
    if (attempt.kind === 'already') {
      ctx.log.info(`Argo CD application ${name} already runs history entry ${attempt.id}${revision}, which has version ${choice.to}.`);
      started.set(name, { revision: attempt.revision, requestedAt: undefined });
    } else {
      ctx.log.info(
        `Argo CD is rolling ${name} back to history entry ${attempt.id}${revision}, which ran version ${choice.to}; the app may show OutOfSync against its branch until its next sync deploys ${commit}.`,
      );
      started.set(name, { revision: attempt.revision, requestedAt: attempt.requestedAt });
    }
    notes.push(`${name}: Argo CD rollback to history entry ${attempt.id}`);
  }
  report.argocdNotes = notes;
  return started;
}

/** A rollback commit made by an earlier attempt of this same rollback (a rerun of the job, or the same CLI call). */
function isOurEarlierAttempt(
  entry: LedgerEntry,
  inputs: { toVersion: string | undefined; reason: string | undefined },
  runUrl: string | undefined,
  pullRequestMode: boolean,
): boolean {
  if (entry.kind !== 'rollback' || entry.modelVersion === undefined || entry.rollbackOf === undefined) return false;
  if (inputs.toVersion !== undefined) return entry.modelVersion === inputs.toVersion;
  const sameReason = (entry.reason ?? '') === (inputs.reason?.trim() ?? '');
  if (runUrl !== undefined && entry.workflowRun !== undefined) {
    // A rollback PR is finished by a later run (after the merge), so there the same reason identifies it too.
    return stripAttempt(entry.workflowRun) === stripAttempt(runUrl) || (pullRequestMode && sameReason);
  }
  return sameReason;
}

function stripAttempt(url: string): string {
  return url.replace(/\/attempts\/\d+$/, '');
}

/**
 * Opens or updates the rollback PR into `branch`, through the promotion-PR library (so it carries the ledger trailers
 * `Rollback-Of` and `Reason`, and a rerun writes nothing). Returns the PR, or undefined when `branch` already holds
 * the target's values (nothing to review: the caller goes on as in push mode).
 */
async function openRollbackPullRequest(
  gh: GitHubClient,
  inputs: { modelName: string; environment: string; reason: string | undefined; pullRequestBranch: string | undefined },
  choice: RollbackChoice,
  updates: readonly UpdateLine[],
  at: { branch: string; runUrl: string | undefined; ctx: RunContext },
): Promise<NonNullable<RollbackReport['pullRequest']> | undefined> {
  const branch = inputs.pullRequestBranch ?? rollbackBranchName(inputs.modelName, inputs.environment);
  const problem = branchProblem(branch);
  if (problem !== undefined) {
    throw new UserError(
      `The rollback branch "${branch}" ${problem}: it is made of ${inputRef('model-name')} and ${inputRef('environment')}; set ${inputRef('pull-request-branch')} to a valid branch name.`,
      { input: 'pull-request-branch' },
    );
  }
  const outcome = await openPromotionPullRequest(gh, {
    modelName: inputs.modelName,
    modelVersion: choice.to,
    environment: inputs.environment,
    change: { kind: 'updates', updates, createMissing: false },
    base: at.branch,
    branch,
    rollbackOf: choice.from,
    reason: inputs.reason,
    runUrl: at.runUrl,
    inputs: PULL_REQUEST_INPUTS,
    log: at.ctx.log,
  });
  if (outcome.plan?.changed === false || outcome.pullRequest === undefined) return undefined;
  const { number, url } = outcome.pullRequest;
  at.ctx.log.info(
    outcome.operation === 'unchanged'
      ? `Rollback pull request #${number} is up to date (nothing written): ${url}`
      : `Rollback pull request #${number} ${outcome.operation === 'created' ? 'opened' : 'updated'}: ${url}`,
  );
  return { number, url, operation: outcome.operation, branch: outcome.branch, superseded: outcome.superseded };
}

async function restoreRegistry(
  registry: ModelRegistry,
  inputs: { modelName: string; environment: string; alias: string | undefined; reason: string | undefined },
  choice: RollbackChoice,
  report: RollbackReport,
  runUrl: string | undefined,
  ctx: RunContext,
  options: { moveAlias: boolean } = { moveAlias: true },
): Promise<void> {
  const [target, bad] = await Promise.all([registry.getVersion(inputs.modelName, choice.to), registry.getVersion(inputs.modelName, choice.from)]);
  // moveAlias false: pull-request mode, where the caller says (once the PR exists) that the alias waits for the merge.
  if (inputs.alias !== undefined && options.moveAlias) {
    if (target === undefined) {
      throw new UserError(
        `The manifests are rolled back, but ${registry.location} has no version ${choice.to} of model "${inputs.modelName}" to point ${inputRef('alias')} "${inputs.alias}" at; check the registry inputs and run again.`,
        { input: 'alias' },
      );
    }
    if (!target.aliases.includes(inputs.alias)) {
      await registry.setAlias(inputs.modelName, inputs.alias, choice.to);
      ctx.log.info(`Alias "${inputs.alias}" now points to ${inputs.modelName} version ${choice.to}.`);
      report.aliasMoved = true;
    } else {
      ctx.log.info(`Alias "${inputs.alias}" already points to version ${choice.to}.`);
    }
    report.aliasDone = true;
  }
  if (bad === undefined && inputs.alias === undefined && (await registry.listVersions(inputs.modelName)).length === 0) {
    // No registry in use for this model (e.g. the default file registry, never written): nothing to tag, nothing to say.
    ctx.log.info(`${registry.location} holds no versions of model "${inputs.modelName}"; no registry tag is written.`);
    return;
  }
  if (bad === undefined) {
    ctx.log.warning(
      `${registry.location} has no version ${choice.from} of model "${inputs.modelName}", so it is not tagged as rolled back and a later promotion of it will not be refused; point ${inputRef('registry-uri')} at the registry that holds it.`,
    );
    return;
  }
  if (!isRolledBack(bad.tags)) {
    await registry.setTags(inputs.modelName, choice.from, rolledBackTags({ reason: inputs.reason, environment: inputs.environment, runUrl, at: new Date() }));
    ctx.log.info(`Tagged ${inputs.modelName} version ${choice.from} as rolled back.`);
    report.tagged = true;
  }
  report.tagDone = true;
}

function outputs(report: RollbackReport, operation: 'rolled-back' | 'already-rolled-back' | 'pull-request' | 'dry-run') {
  return {
    'from-version': report.from,
    'to-version': report.to,
    'commit-sha': report.commit ?? '',
    'alias-moved': report.aliasDone === true,
    'argocd-result': report.argocd,
    operation,
    'pull-request-number': report.pullRequest?.number ?? '',
    'pull-request-url': report.pullRequest?.url ?? '',
  };
}

async function isDirectory(directory: string): Promise<boolean> {
  return stat(directory).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
