/**
 * `rollback`: puts the last healthy version of a model back in an environment — in git (the same `file:selector`
 * scalars the ledger recorded, byte-preserving, race-safe push), in the registry (the alias moved back, the bad
 * version tagged as rolled back) and, when Argo CD inputs are given, in the cluster (waits until the rollback commit
 * runs and is healthy). One operation: a rerun resumes where a failed run stopped, and an identical second run
 * reports `already-rolled-back`.
 */
import path from 'node:path';
import { choice, defineCommand, flag, lines, list, number, text, type RunContext } from '../../lib/command.ts';
import { ARGOCD_INPUTS, ARGOCD_RULES, connectArgoCd } from '../../lib/argocd/inputs.ts';
import { gitHistory } from '../../lib/argocd/revision.ts';
import { waitForApplications } from '../../lib/argocd/wait.ts';
import type { ArgoCdClient } from '../../lib/argocd/client.ts';
import { inputRef, UserError } from '../../lib/errors.ts';
import { GitClient, parseIdentity } from '../../lib/git.ts';
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
} from '../../lib/manifest/index.ts';
import { openRegistry, type ModelRegistry } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, registryOptions } from '../../lib/registry/inputs.ts';
import { rolledBackTags } from '../../lib/registry/rolled-back.ts';
import { isRolledBack } from '../../lib/registry/tags.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { chooseRollback, type RollbackChoice } from './choose.ts';
import { rollbackSummary, type RollbackReport } from './summary.ts';

const PLAN_INPUTS: PlanInputs = { updates: 'updates', root: 'path' };
const PUBLISH_INPUTS: PublishInputs = { ...PLAN_INPUTS, branch: 'branch', remote: 'remote', createBranch: 'create-branch', maxAttempts: 'max-attempts' };
const DEFAULT_AUTHOR = 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';

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
      description: '`push` commits straight to `branch` (emergencies should not wait for review); `pull-request` opens a rollback PR instead.',
      default: 'push',
    }),
    force: flag({ description: 'Roll back to a `to-version` the ledger never saw promoted there, or that was itself rolled back.', default: 'false' }),
    'max-attempts': number({ description: 'How many times to try the push before giving up.', default: '10', integer: true, min: 1, max: 100 }),
    ...ARGOCD_INPUTS,
    applications: list({ description: 'Argo CD applications that run the environment, to wait for after the rollback commit.' }),
    wait: flag({ description: 'With `server`: wait until Argo CD runs the rollback commit and it is healthy.', default: 'true' }),
    timeout: number({ description: 'Seconds to wait for Argo CD.', default: '600', min: 1, unit: 'seconds' }),
    'argocd-rollback': flag({
      description:
        'With `server`: first roll the applications back with the Argo CD rollback API to the history entry that ran the target version (faster recovery); refused while auto-sync is on.',
      default: 'false',
    }),
    'dry-run': flag({ description: 'Say what would happen and change nothing.', default: 'false' }),
  },
  rules: [...ARGOCD_RULES, { kind: 'requires', inputs: ['argocd-rollback', 'server', 'applications'] }],
  outputs: {
    'from-version': { description: 'The version that was running (taken out of service).' },
    'to-version': { description: 'The version put back.' },
    'commit-sha': { description: 'The rollback commit (the existing one when the git part was already done).' },
    'alias-moved': { description: '`true` when the alias now points at `to-version` because of this run or an earlier attempt, else `false`.' },
    'argocd-result': { description: 'The Argo CD wait result (`healthy`, `degraded`, ...), or `skipped`.' },
    operation: { description: '`rolled-back`, `already-rolled-back` (nothing left to do) or `dry-run`.' },
  },
  async run(inputs, ctx) {
    if (inputs.mode === 'pull-request') {
      throw new UserError(`${inputRef('mode')} "pull-request" is not available in this release yet; use "push".`, { input: 'mode' });
    }
    const root = path.resolve(ctx.workspace, inputs.path ?? '.');
    const identity = parseIdentity(inputs.author, 'author');
    const facts = runFacts(ctx.env);
    const git = new GitClient({ cwd: root, env: ctx.env, identity });
    if ((await git.topLevel()) === undefined) {
      throw new UserError(`The directory ${root} given by ${inputRef('path')} is not a git checkout; check out the manifest repository there.`, { input: 'path' });
    }
    const branch = inputs.branch ?? (await git.currentBranch());
    if (branch === undefined) {
      throw new UserError(`The checkout is on a detached HEAD; set ${inputRef('branch')} to the branch to roll back.`, { input: 'branch' });
    }
    // The ledger as the remote has it now: a promotion pushed since the checkout counts.
    const tip = (await git.fetchBranch(inputs.remote, branch)) ?? (await git.tryRevParse('HEAD'));
    if (tip === undefined) throw new UserError(`The branch "${branch}" exists neither on ${inputs.remote} nor locally; check ${inputRef('branch')}.`, { input: 'branch' });
    const readHistory = async (ref: string) =>
      promotionHistory(await readLedger(git, { ref, modelName: inputs.modelName, environment: inputs.environment }));
    const history = await readHistory(tip);
    const current = history.current;

    const reran = current !== undefined && isOurEarlierAttempt(current, inputs, facts.runUrl);
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
    };

    if (inputs.dryRun) {
      const plan = await replanAt();
      const diff = unifiedDiff(plan);
      if (diff !== '') await ctx.log.group('Diff (dry run: nothing written)', async () => ctx.log.info(diff));
      ctx.summary(rollbackSummary(report));
      return outputs(report, 'dry-run');
    }

    // 1. git: the rollback commit, unless an earlier attempt of this rollback made it.
    if (reran) {
      report.commit = current.sha;
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

    // 3. the cluster: wait until Argo CD runs the rollback commit and it is healthy.
    if (inputs.server !== undefined && inputs.applications !== undefined && inputs.applications.length > 0 && (inputs.wait || inputs.argocdRollback)) {
      const client = await connectArgoCd(inputs, ctx);
      try {
        if (inputs.argocdRollback) await argoRollback(client, inputs.applications, choice, ctx);
        if (inputs.wait && report.commit !== undefined) {
          const waited = await waitForApplications(client, {
            applications: inputs.applications,
            revision: report.commit,
            history: gitHistory(root, ctx),
            health: true,
            onSuspended: 'wait',
            sync: false,
            prune: false,
            refresh: 'normal',
            timeoutMs: inputs.timeout * 1000,
            log: ctx.log,
          });
          report.argocd = waited.result;
          if (waited.result !== 'healthy') {
            ctx.summary(rollbackSummary(report));
            throw new UserError(`The rollback to ${choice.to} is in git and the registry, but ${waited.failure ?? `Argo CD ended ${waited.result}`}`, {
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

/**
 * Argo CD's own rollback to the history entry that ran the target version, before the git commit reaches the cluster.
 * Argo CD refuses it while auto-sync is on (and auto-sync would undo it at once), so such apps are left to the commit.
 */
async function argoRollback(client: ArgoCdClient, applications: readonly string[], choice: RollbackChoice, ctx: RunContext): Promise<void> {
  for (const name of applications) {
    const app = await client.get(name);
    const automated = app.spec?.syncPolicy?.automated;
    if (automated !== undefined && automated !== null && automated.enabled !== false) {
      ctx.log.warning(
        `${name} syncs automatically, and Argo CD refuses a rollback while auto-sync is on (auto-sync would undo it anyway); the rollback commit brings version ${choice.to} back instead.`,
      );
      continue;
    }
    const entry = [...(app.status?.history ?? [])].reverse().find((item) => choice.source !== undefined && item.revision === choice.source.sha);
    if (entry === undefined) {
      ctx.log.warning(`${name} keeps no history entry for the commit that deployed version ${choice.to}; the rollback commit brings it back instead.`);
      continue;
    }
    await client.rollback(name, { id: entry.id });
    ctx.log.info(`Rolled ${name} back to its history entry ${entry.id} (version ${choice.to}) with Argo CD.`);
  }
}

/** A rollback commit made by an earlier attempt of this same rollback (a rerun of the job, or the same CLI call). */
function isOurEarlierAttempt(
  entry: LedgerEntry,
  inputs: { toVersion: string | undefined; reason: string | undefined },
  runUrl: string | undefined,
): boolean {
  if (entry.kind !== 'rollback' || entry.modelVersion === undefined || entry.rollbackOf === undefined) return false;
  if (inputs.toVersion !== undefined) return entry.modelVersion === inputs.toVersion;
  if (runUrl !== undefined && entry.workflowRun !== undefined) return stripAttempt(entry.workflowRun) === stripAttempt(runUrl);
  return (entry.reason ?? '') === (inputs.reason?.trim() ?? '');
}

function stripAttempt(url: string): string {
  return url.replace(/\/attempts\/\d+$/, '');
}

async function restoreRegistry(
  registry: ModelRegistry,
  inputs: { modelName: string; environment: string; alias: string | undefined; reason: string | undefined },
  choice: RollbackChoice,
  report: RollbackReport,
  runUrl: string | undefined,
  ctx: RunContext,
): Promise<void> {
  const [target, bad] = await Promise.all([registry.getVersion(inputs.modelName, choice.to), registry.getVersion(inputs.modelName, choice.from)]);
  if (inputs.alias !== undefined) {
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

function outputs(report: RollbackReport, operation: 'rolled-back' | 'already-rolled-back' | 'dry-run') {
  return {
    'from-version': report.from,
    'to-version': report.to,
    'commit-sha': report.commit ?? '',
    'alias-moved': report.aliasDone === true,
    'argocd-result': report.argocd,
    operation,
  };
}
