/**
 * `wait-for-argo-sync`: succeeds only when Argo CD runs the pushed commit (or a descendant of it) and it is healthy,
 * for one or many applications, watching Argo CD's event stream instead of polling; then, when an analysis is given,
 * watches the new model's metrics in Prometheus over a bake window and fails with the metric, its values and the
 * threshold. The wait itself is `src/lib/argocd/wait.ts`, shared with rollback.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { choice, defineCommand, flag, lines, list, number, secret, text } from '../../lib/command.ts';
import { inputRef, UserError } from '../../lib/errors.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { isArgoCdError } from '../../lib/argocd/errors.ts';
import { analysisSchema, type AnalysisResult } from '../../lib/analysis/index.ts';
import { runFacts } from '../../lib/run-facts.ts';
import { ARGOCD_INPUTS, ARGOCD_RULES, connectArgoCd } from '../../lib/argocd/inputs.ts';
import { gitHistory, resolveRevision } from '../../lib/argocd/revision.ts';
import { FIRST_CONTACT_MS, waitForApplications, type WaitResult } from '../../lib/argocd/wait.ts';
import { loadPlan, prometheusClient } from './analysis.ts';
import { waitSummary } from './summary.ts';

/** A week: longer than any runner lets a job live, and within what a timer can hold (a larger one fires at once). */
const MAX_TIMEOUT_S = 604_800;

/**
 * Argo CD's sync options and the values each takes (argo-cd docs, "Sync Options"): the server accepts any string and
 * ignores what it does not know, so a typo would silently sync without the option.
 */
const SYNC_OPTIONS: Record<string, readonly string[]> = {
  Validate: ['true', 'false'],
  Prune: ['true', 'false', 'confirm'],
  Delete: ['true', 'false', 'confirm'],
  PruneLast: ['true', 'false'],
  ApplyOutOfSyncOnly: ['true', 'false'],
  PrunePropagationPolicy: ['foreground', 'background', 'orphan'],
  Replace: ['true', 'false'],
  Force: ['true', 'false'],
  ServerSideApply: ['true', 'false'],
  ClientSideApplyMigration: ['true', 'false'],
  FailOnSharedResource: ['true', 'false'],
  RespectIgnoreDifferences: ['true', 'false'],
  CreateNamespace: ['true', 'false'],
  SkipDryRunOnMissingResource: ['true', 'false'],
};

/** Refuses a sync option Argo CD would silently ignore, with the closest known one. */
function checkSyncOptions(options: readonly string[] | undefined): void {
  for (const option of options ?? []) {
    const equals = option.indexOf('=');
    const name = equals === -1 ? option : option.slice(0, equals);
    const value = equals === -1 ? '' : option.slice(equals + 1);
    const allowed = SYNC_OPTIONS[name];
    if (allowed === undefined) {
      throw new UserError(
        `${inputRef('sync-options')} line "${option}" is not an Argo CD sync option${didYouMean(name, Object.keys(SYNC_OPTIONS))}, and Argo CD would ignore it silently; write Name=value lines such as ServerSideApply=true.`,
        { input: 'sync-options' },
      );
    }
    if (!allowed.includes(value)) {
      throw new UserError(`${inputRef('sync-options')} line "${option}" gives ${name} the value "${value}"; write ${name}=${allowed.join(` or ${name}=`)}.`, { input: 'sync-options' });
    }
  }
}

/** The most a login may take (as the first read), however long `timeout` is: Argo CD answers it in milliseconds. */

export const waitForArgoSync = defineCommand({
  name: 'wait-for-argo-sync',
  description:
    'Waits until Argo CD runs the pushed commit (or a descendant) and it is healthy, for one or many applications, on the watch stream; fails fast with the reason and the unhealthy resources, then optionally checks the new model in Prometheus over a bake window.',
  inputs: {
    ...ARGOCD_INPUTS,
    applications: list({ description: 'Applications to wait for, one per line or comma-separated; `namespace/name` allowed.' }),
    selector: text({ description: 'A Kubernetes label selector of Applications, instead of or in addition to names.' }),
    'children-of': text({ description: 'Wait for the child Applications of this app-of-apps parent (read from its status.resources).' }),
    'app-namespace': text({ description: 'The namespace of the Applications, when they live outside the control plane\'s.' }),
    project: text({ description: 'The Argo CD project of the applications.' }),
    revision: text({
      description:
        'The commit that must be running, usually the `commit-sha` output of bump-manifest or a PR\'s merge commit; a branch or tag name is resolved in the `path` checkout after a fetch.',
    }),
    path: text({ description: 'A checkout of the manifest repository: with it, a descendant of `revision` counts as running it.' }),
    timeout: number({ description: 'Seconds to wait in all, the analysis included.', default: '600', min: 1, max: MAX_TIMEOUT_S, unit: 'seconds' }),
    health: flag({ description: 'Require Healthy; false: Synced is enough.', default: 'true' }),
    sync: flag({ description: 'Sync the applications to `revision` (manual sync policies); apps that sync automatically are only waited for.', default: 'false' }),
    prune: flag({ description: 'With `sync`: prune resources no longer in git.', default: 'false' }),
    'sync-options': lines({ description: 'With `sync`: sync options such as `ServerSideApply=true`, one per line (they replace the app\'s own).' }),
    'on-suspended': choice(['wait', 'succeed', 'fail'] as const, { description: 'A Suspended app (a paused canary): keep waiting, count it as done, or fail.', default: 'wait' }),
    refresh: choice(['normal', 'hard', 'off'] as const, { description: 'Ask Argo CD to refresh an app that has not seen the revision yet.', default: 'normal' }),
    'prometheus-url': text({ description: 'A Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics) for the post-deployment analysis.', env: ['PROMETHEUS_URL'] }),
    'prometheus-token': secret({ description: 'Bearer token for the Prometheus API.' }),
    'prometheus-headers': lines({ description: 'Extra `Name: value` headers for the Prometheus API, e.g. `X-Scope-OrgID: team-a`.' }),
    analysis: text({ description: 'The post-deployment analysis: a YAML file or inline YAML (schema: schemas/analysis.schema.json).' }),
    'analysis-template': text({ description: 'Instead of `analysis`: an Argo Rollouts AnalysisTemplate file using the prometheus provider.' }),
    'model-name': text({ description: 'Fills `{model}` in the analysis queries (and the template arg `model`).' }),
    'model-version': text({ description: 'Fills `{version}` in the analysis queries (and the template arg `version`).' }),
    environment: text({ description: 'Fills `{environment}` in the analysis queries (and the template arg `environment`).' }),
  },
  rules: [
    ...ARGOCD_RULES,
    { kind: 'one-of', inputs: ['applications', 'selector', 'children-of'], atLeast: true },
    { kind: 'exclusive', inputs: ['analysis', 'analysis-template'] },
  ],
  outputs: {
    result: { description: '`healthy`, `suspended`, `degraded`, `failed`, `timeout` or `analysis-failed`.' },
    revision: { description: 'The revision the (first) application runs now.' },
    applications: { description: 'JSON: per application its sync and health status, revision, operation phase, start and finish, unhealthy resources.' },
    'duration-seconds': { description: 'How long the wait (and the analysis) took.' },
    analysis: { description: '`successful`, `failed`, `inconclusive` or `skipped`.' },
    measurements: { description: 'JSON: per metric the query as sent, each value with its time, the threshold and the verdict.' },
  },
  jsonSchemas: { analysis: analysisSchema },
  async run(inputs, ctx) {
    const started = Date.now();
    const timeoutMs = inputs.timeout * 1000;
    /** What is left of `timeout` (at least 1 ms, so a spent budget still ends in a verdict). */
    const remainingMs = (): number => Math.max(1, timeoutMs - (Date.now() - started));
    checkSyncOptions(inputs.syncOptions);
    if (!inputs.sync) {
      const unused = [...(inputs.syncOptions === undefined ? [] : ['sync-options']), ...(inputs.prune ? ['prune'] : [])];
      if (unused.length > 0) ctx.log.warning(`${unused.map(inputRef).join(' and ')} only apply when ${inputRef('sync')} is true; it is not, so ${unused.length === 1 ? 'it is' : 'they are'} not used.`);
    }
    const checkout = inputs.path === undefined ? undefined : path.resolve(ctx.workspace, inputs.path);
    if (checkout !== undefined && !statSync(checkout, { throwIfNoEntry: false })?.isDirectory()) {
      // Ignored, it would quietly turn "a descendant of revision" into "exactly revision".
      throw new UserError(`${inputRef('path')} ${JSON.stringify(inputs.path)} is not a directory; give the checkout of the manifest repository (e.g. the path of actions/checkout), or leave it out.`, { input: 'path' });
    }
    // Read and check the analysis before waiting, so a typo fails in seconds, not after the deployment.
    const plan = loadPlan(inputs, ctx.workspace);
    if (plan !== undefined) {
      if (inputs.prometheusUrl === undefined && plan.address === undefined) {
        throw new UserError(`${inputRef(plan.plan.input)} is given but no Prometheus to query; set ${inputRef('prometheus-url')} (or PROMETHEUS_URL).`, { input: 'prometheus-url' });
      }
      if (plan.windowMs >= timeoutMs) {
        throw new UserError(
          `The analysis window of ${Math.ceil(plan.windowMs / 1000)} s does not fit in ${inputRef('timeout')} (${inputs.timeout} s), which covers the wait and the analysis; raise ${inputRef('timeout')} or shorten the window (interval × count).`,
          { input: 'timeout' },
        );
      }
    }
    if (inputs.revision === undefined) {
      ctx.log.warning(`No ${inputRef('revision')} given: an application Synced and Healthy at an older commit counts as ready; pass the commit you pushed (e.g. bump-manifest's commit-sha output).`);
    }
    const revision = inputs.revision === undefined ? undefined : await resolveRevision(inputs.revision, checkout, ctx);
    const placeholders = { model: inputs.modelName, version: inputs.modelVersion, environment: inputs.environment, revision };
    // The login is bounded like the first read: a server that accepts the connection and stays silent fails within
    // `timeout` (and 30 s at most) with why, instead of after the HTTP layer's minute.
    const client = await connectArgoCd(inputs, ctx, { loginTimeoutMs: Math.min(FIRST_CONTACT_MS, remainingMs()) });
    let waited: WaitResult;
    try {
      waited = await waitForApplications(client, {
        applications: inputs.applications ?? [],
        selector: inputs.selector,
        childrenOf: inputs.childrenOf,
        appNamespace: inputs.appNamespace,
        project: inputs.project,
        revision,
        history: checkout === undefined ? undefined : gitHistory(checkout, ctx),
        health: inputs.health,
        onSuspended: inputs.onSuspended,
        sync: inputs.sync,
        prune: inputs.prune,
        syncOptions: inputs.syncOptions,
        refresh: inputs.refresh,
        timeoutMs: remainingMs(),
        runId: `${runFacts(ctx.env).runUrl ?? 'ml-gitops'}#${randomUUID().slice(0, 8)}`,
        log: ctx.log,
      });
    } catch (error) {
      // Argo CD parses the selector: its 400 names neither the input nor the syntax.
      if (inputs.selector !== undefined && isArgoCdError(error) && (error.status === 400 || error.status === 500) && /selector/i.test(error.serverMessage ?? '')) {
        throw new UserError(
          `${inputRef('selector')} "${inputs.selector}" is not a Kubernetes label selector Argo CD can parse (${error.serverMessage ?? 'HTTP 400'}); write it as kubectl takes it, e.g. team=ml or team in (ml,ai).`,
          { input: 'selector', cause: error },
        );
      }
      throw error;
    } finally {
      await client.close();
    }

    const ready = waited.result === 'healthy' || (waited.result === 'suspended' && inputs.onSuspended === 'succeed');
    let analysis: AnalysisResult | undefined;
    let result: string = waited.result;
    let analysisState = 'skipped';
    let analysisFailure: string | undefined;
    if (ready && plan !== undefined) {
      const prometheus = prometheusClient(inputs, plan, ctx);
      const signal = AbortSignal.timeout(remainingMs());
      try {
        ctx.log.info(`All applications are ready; analysing the new version in ${prometheus.location}.`);
        analysis = await plan.run(prometheus, placeholders, ctx.log, signal);
        analysisState = analysis.result;
        if (!analysis.passed) {
          result = 'analysis-failed';
          analysisFailure = `The post-deployment analysis ${analysis.result === 'inconclusive' ? 'was inconclusive' : 'failed'}: ${analysis.failure ?? 'a metric left its bounds'}.`;
        }
      } catch (error) {
        if (signal.aborted) {
          result = 'timeout';
          analysisState = 'inconclusive';
          analysisFailure = `The post-deployment analysis did not finish within ${inputRef('timeout')} (${inputs.timeout} s, the wait included); raise it.`;
        } else if (error instanceof UserError) {
          // A query that fails its check (syntax, unknown function, 401/403/404): before the window, with the server's words.
          result = 'analysis-failed';
          analysisState = 'failed';
          analysisFailure = error.message;
        } else {
          throw error;
        }
      } finally {
        await prometheus.close();
      }
    }

    ctx.summary(waitSummary(waited, analysis, analysisFailure));
    const outputs = {
      result,
      revision: waited.revision ?? '',
      applications: waited.apps,
      'duration-seconds': Math.round((Date.now() - started) / 100) / 10,
      analysis: analysisState,
      measurements: analysis?.measurements ?? [],
    };
    if (analysisFailure !== undefined) {
      throw new UserError(analysisFailure, { outputs, title: result === 'timeout' ? 'Analysis timed out' : 'Post-deployment analysis failed', input: result === 'timeout' ? 'timeout' : plan?.plan.input });
    }
    if (!ready) throw new UserError(waited.failure ?? `Argo CD ended ${waited.result}.`, { outputs, title: `Argo CD: ${waited.result}` });
    return outputs;
  },
});
