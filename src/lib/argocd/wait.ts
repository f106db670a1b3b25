/**
 * Waiting until Argo CD runs a commit and it is healthy: shared by wait-for-argo-sync and rollback.
 *
 * Ready, per application, judged from one application object: every synced revision is `revision` or a descendant of
 * it (when the caller can tell, from a checkout's history), sync Synced, health Healthy (unless health is not
 * required), no operation pending, the last operation finished and reconciled after it finished. One GET per app
 * first (a ready app returns at once), then ONE watch stream for all of them; a GET every minute guards against a
 * silent stream, and an app that has not seen the revision yet is asked to refresh, at a bounded interval.
 * It fails fast, in one sentence naming the app, the revision and the reason, on Degraded/Missing at the revision
 * (with the unhealthy resources), a failed operation, a newer revision that does not contain ours, comparison errors,
 * or an app that stays "not found or not permitted" past a grace period.
 */
import type { Logger } from '../command.ts';
import { UserError } from '../errors.ts';
import { SYSTEM_CLOCK, type Clock } from '../retry.ts';
import type { ArgoCdClient } from './client.ts';
import { isArgoCdError } from './errors.ts';
import type { Application } from './types.ts';

export type WaitResultKind = 'healthy' | 'suspended' | 'degraded' | 'failed' | 'timeout';

/** How the caller relates a synced revision to the one it waits for (from a checkout's history). */
export interface RevisionHistoryCheck {
  /** True when `candidate` contains `revision` (is it, or a descendant of it). */
  contains(revision: string, candidate: string): Promise<boolean>;
  /** True when `candidate` is an ancestor of `revision` (the app has not seen ours yet). */
  isOlder(revision: string, candidate: string): Promise<boolean>;
}

export interface WaitOptions {
  /** Application names (`namespace/name` allowed). */
  readonly applications: readonly string[];
  readonly selector?: string | undefined;
  /** The child Applications of this app-of-apps parent (from its `status.resources[]`). */
  readonly childrenOf?: string | undefined;
  readonly appNamespace?: string | undefined;
  readonly project?: string | undefined;
  /** The commit that must run; undefined: any revision (then only sync and health count). */
  readonly revision?: string | undefined;
  readonly history?: RevisionHistoryCheck | undefined;
  readonly health: boolean;
  readonly onSuspended: 'wait' | 'succeed' | 'fail';
  readonly sync: boolean;
  readonly prune: boolean;
  readonly syncOptions?: readonly string[] | undefined;
  readonly refresh: 'normal' | 'hard' | 'off';
  readonly timeoutMs: number;
  /** An app that answers "not found or not permitted" this long fails (an ApplicationSet may still be creating it). */
  readonly notFoundGraceMs?: number;
  /** Identifies our own sync operation (`operation.info`). */
  readonly runId?: string | undefined;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Test hooks: how often apps are re-read and refreshed. */
  readonly guardIntervalMs?: number;
  readonly refreshIntervalMs?: number;
}

export interface AppReport {
  name: string;
  namespace: string | undefined;
  sync: string;
  health: string;
  revision: string | undefined;
  operationPhase: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  unhealthy: string[];
  state: 'ready' | 'suspended' | 'waiting' | 'failed' | 'missing';
  /** Why it is waiting or failed, in words. */
  detail: string;
  url: string;
}

export interface WaitResult {
  result: WaitResultKind;
  apps: AppReport[];
  /** One sentence when the result is not healthy/suspended-as-success. */
  failure: string | undefined;
  /** What runs now (the first app's revision). */
  revision: string | undefined;
  durationMs: number;
  requests: { gets: number; streams: number };
}

type Verdict =
  | { kind: 'ready' }
  | { kind: 'suspended'; message: string }
  | { kind: 'waiting'; why: string; needsRefresh: boolean }
  | { kind: 'degraded'; sentence: string }
  | { kind: 'failed'; sentence: string };

const DEFAULT_GRACE_MS = 60_000;
const GUARD_INTERVAL_MS = 60_000;
const REFRESH_INTERVAL_MS = 15_000;

function splitName(name: string, appNamespace: string | undefined): { name: string; namespace: string | undefined } {
  const slash = name.indexOf('/');
  return slash === -1 ? { name, namespace: appNamespace } : { namespace: name.slice(0, slash), name: name.slice(slash + 1) };
}

function key(name: string, namespace: string | undefined): string {
  return `${namespace ?? ''}/${name}`;
}

function revisionsOf(app: Application): string[] {
  const sync = app.status?.sync;
  if (sync?.revisions !== undefined && sync.revisions.length > 0) return sync.revisions;
  return sync?.revision === undefined || sync.revision === '' ? [] : [sync.revision];
}

function unhealthyResources(app: Application): string[] {
  return (app.status?.resources ?? [])
    .filter((resource) => resource.health?.status !== undefined && !['Healthy', 'Suspended'].includes(resource.health.status))
    .map((resource) => `${resource.kind ?? '?'}/${resource.name ?? '?'}: ${resource.health?.status}${resource.health?.message ? ` (${resource.health.message})` : ''}`);
}

const short = (revision: string | undefined): string => (revision === undefined ? 'no revision' : revision.slice(0, 12));

export async function waitForApplications(client: ArgoCdClient, options: WaitOptions): Promise<WaitResult> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  const grace = options.notFoundGraceMs ?? DEFAULT_GRACE_MS;
  const requests = { gets: 0, streams: 0 };
  const revision = options.revision;
  const containsCache = new Map<string, 'contains' | 'older' | 'unrelated' | 'unknown'>();

  // 1. Which applications.
  const names = new Map<string, { name: string; namespace: string | undefined }>();
  for (const raw of options.applications) {
    const target = splitName(raw, options.appNamespace);
    names.set(key(target.name, target.namespace), target);
  }
  if (options.selector !== undefined) {
    requests.gets++;
    const found = await client.list({ selector: options.selector, appNamespace: options.appNamespace, projects: options.project === undefined ? undefined : [options.project] });
    if (found.length === 0 && options.applications.length === 0 && options.childrenOf === undefined) {
      throw new UserError(`Argo CD at ${client.location} has no application matching the selector "${options.selector}" (or the token may not see them); check the selector and the applications' labels.`);
    }
    for (const app of found) names.set(key(app.metadata.name, app.metadata.namespace), { name: app.metadata.name, namespace: app.metadata.namespace });
  }
  if (options.childrenOf !== undefined) {
    const parent = splitName(options.childrenOf, options.appNamespace);
    requests.gets++;
    const app = await client.get(parent.name, { appNamespace: parent.namespace, project: options.project });
    const children = (app.status?.resources ?? []).filter((resource) => resource.kind === 'Application' && resource.name !== undefined);
    if (children.length === 0) throw new UserError(`The Argo CD application ${options.childrenOf} lists no child Application in its status.resources, so there is nothing to wait for.`);
    for (const child of children) names.set(key(child.name as string, child.namespace), { name: child.name as string, namespace: child.namespace });
  }
  if (names.size === 0) throw new UserError('No Argo CD application to wait for: name applications, a selector or an app-of-apps parent.');

  const latest = new Map<string, Application>();
  const verdicts = new Map<string, Verdict>();
  const missingSince = new Map<string, number>();
  const lastRefresh = new Map<string, number>();
  const ourSync = new Set<string>();

  async function relation(candidate: string): Promise<'contains' | 'older' | 'unrelated' | 'unknown'> {
    if (revision === undefined || candidate === revision || candidate.startsWith(revision) || revision.startsWith(candidate)) return 'contains';
    const cached = containsCache.get(candidate);
    if (cached !== undefined) return cached;
    let answer: 'contains' | 'older' | 'unrelated' | 'unknown' = 'unknown';
    if (options.history !== undefined) {
      if (await options.history.contains(revision, candidate)) answer = 'contains';
      else if (await options.history.isOlder(revision, candidate)) answer = 'older';
      else answer = 'unrelated';
    }
    containsCache.set(candidate, answer);
    return answer;
  }

  async function judge(app: Application): Promise<Verdict> {
    const name = app.metadata.name;
    const status = app.status ?? {};
    const revisions = revisionsOf(app);
    const at = `at ${short(revisions[0])}`;
    for (const condition of status.conditions ?? []) {
      if (condition.type === 'ComparisonError' || condition.type === 'InvalidSpecError') {
        return { kind: 'failed', sentence: `Argo CD application ${name} cannot be compared with revision ${short(revision)}: ${condition.type}: ${condition.message ?? 'no message'}.` };
      }
    }
    if (revision !== undefined) {
      if (revisions.length === 0) return { kind: 'waiting', why: 'no synced revision yet', needsRefresh: true };
      for (const candidate of revisions) {
        const relates = await relation(candidate);
        if (relates === 'unrelated') {
          return { kind: 'failed', sentence: `Argo CD application ${name} now runs revision ${short(candidate)}, which does not contain ${short(revision)}; someone pushed a change that dropped it, or the app follows another branch.` };
        }
        if (relates !== 'contains') return { kind: 'waiting', why: `at ${short(candidate)}, not yet at ${short(revision)}`, needsRefresh: true };
      }
    }
    const operationState = status.operationState;
    const phase = operationState?.phase;
    const operationAtOurs = operationState?.syncResult?.revision === undefined || revision === undefined || (await relation(operationState.syncResult.revision)) === 'contains';
    if ((phase === 'Failed' || phase === 'Error') && operationAtOurs && app.operation === undefined) {
      const failedResources = (operationState?.syncResult?.resources ?? [])
        .filter((resource) => resource.status !== undefined && resource.status !== 'Synced')
        .map((resource) => `${resource.kind ?? '?'}/${resource.name ?? '?'}: ${resource.message ?? resource.status}`);
      return {
        kind: 'failed',
        sentence: `The sync of Argo CD application ${name} to ${short(revision ?? revisions[0])} ${phase === 'Error' ? 'errored' : 'failed'}: ${operationState?.message ?? 'no message'}${failedResources.length > 0 ? ` (${failedResources.join('; ')})` : ''}.`,
      };
    }
    if (app.operation !== undefined || phase === 'Running' || phase === 'Terminating') return { kind: 'waiting', why: `operation ${phase ?? 'requested'}`, needsRefresh: false };
    const sync = status.sync?.status;
    const health = status.health?.status;
    if (health === 'Degraded' || health === 'Missing') {
      const resources = unhealthyResources(app);
      return {
        kind: 'degraded',
        sentence: `Argo CD application ${name} is ${health} ${at}${revision === undefined ? '' : ` (revision ${short(revision)})`}${status.health?.message ? `: ${status.health.message}` : ''}${resources.length > 0 ? `; unhealthy: ${resources.join('; ')}` : ''}.`,
      };
    }
    if (sync !== 'Synced') return { kind: 'waiting', why: `sync ${sync ?? 'unknown'}`, needsRefresh: sync === 'OutOfSync' && !ourSync.has(key(name, app.metadata.namespace)) };
    if (operationState?.finishedAt !== undefined && status.reconciledAt !== undefined && Date.parse(status.reconciledAt) < Date.parse(operationState.finishedAt)) {
      return { kind: 'waiting', why: 'not reconciled since the last sync', needsRefresh: false };
    }
    if (!options.health) return { kind: 'ready' };
    if (health === 'Healthy') return { kind: 'ready' };
    if (health === 'Suspended') {
      const paused = (status.resources ?? []).filter((resource) => resource.health?.status === 'Suspended').map((resource) => `${resource.kind ?? '?'}/${resource.name ?? '?'}: ${resource.health?.message ?? 'paused'}`);
      return { kind: 'suspended', message: status.health?.message ?? (paused.join('; ') || 'paused') };
    }
    return { kind: 'waiting', why: `health ${health ?? 'unknown'}`, needsRefresh: false };
  }

  async function consider(app: Application): Promise<void> {
    const id = key(app.metadata.name, app.metadata.namespace ?? undefined);
    const target = [...names.entries()].find(([candidate, value]) => candidate === id || (value.namespace === undefined && value.name === app.metadata.name));
    if (target === undefined) return;
    latest.set(target[0], app);
    missingSince.delete(target[0]);
    const verdict = await judge(app);
    const before = verdicts.get(target[0]);
    verdicts.set(target[0], verdict);
    if (verdict.kind === 'suspended' && before?.kind !== 'suspended') options.log.info(`${app.metadata.name} is Suspended: ${verdict.message}.`);
    if (verdict.kind === 'waiting' && (before?.kind !== 'waiting' || before.why !== verdict.why)) options.log.info(`${app.metadata.name}: ${verdict.why}.`);
  }

  async function fetch(id: string, refresh: boolean): Promise<void> {
    const target = names.get(id) as { name: string; namespace: string | undefined };
    requests.gets++;
    try {
      const app = await client.get(target.name, {
        appNamespace: target.namespace,
        project: options.project,
        ...(refresh && options.refresh !== 'off' ? { refresh: options.refresh } : {}),
        onRefreshFallback: (reason) => options.log.info(`The refresh of ${target.name} did not finish (${reason}); read it without one.`),
      });
      if (refresh) lastRefresh.set(id, clock.now());
      await consider(app);
    } catch (error) {
      if (!isArgoCdError(error, 'not-found-or-denied') && !isArgoCdError(error, 'not-found')) throw error;
      if (!missingSince.has(id)) missingSince.set(id, clock.now());
      verdicts.set(id, { kind: 'waiting', why: 'not found or not permitted', needsRefresh: false });
      if (clock.now() - (missingSince.get(id) as number) >= grace) {
        verdicts.set(id, { kind: 'failed', sentence: error.message.replace(/\.$/, '') + ` (still so after ${Math.round(grace / 1000)} s).` });
      }
    }
  }

  async function startSyncs(): Promise<void> {
    for (const [id, target] of names) {
      const app = latest.get(id);
      if (app === undefined) continue;
      const automated = app.spec?.syncPolicy?.automated;
      if (automated !== undefined && automated !== null && automated.enabled !== false) {
        options.log.info(`${target.name} syncs automatically; waiting for its own sync instead of syncing by hand.`);
        continue;
      }
      for (;;) {
        try {
          requests.gets++;
          await client.sync(target.name, {
            appNamespace: target.namespace,
            project: options.project,
            revision,
            prune: options.prune,
            ...(options.syncOptions !== undefined && options.syncOptions.length > 0 ? { syncOptions: options.syncOptions } : {}),
            ...(options.runId !== undefined ? { infos: [{ name: 'ml-gitops-run', value: options.runId }] } : {}),
          });
          ourSync.add(id);
          options.log.info(`Started a sync of ${target.name} to ${short(revision)}.`);
          break;
        } catch (error) {
          if (isArgoCdError(error, 'operation-in-progress') && clock.now() < deadline) {
            options.log.info(`${target.name} has another operation in progress; syncing once it ends.`);
            await clock.sleep(2_000);
            continue;
          }
          throw error;
        }
      }
    }
  }

  function outcome(): WaitResultKind | 'pending' {
    const all = [...names.keys()].map((id) => verdicts.get(id));
    if (all.some((verdict) => verdict?.kind === 'failed')) return 'failed';
    if (all.some((verdict) => verdict?.kind === 'degraded')) return 'degraded';
    if (options.onSuspended === 'fail' && all.some((verdict) => verdict?.kind === 'suspended')) return 'suspended';
    if (all.every((verdict) => verdict?.kind === 'ready' || (options.onSuspended === 'succeed' && verdict?.kind === 'suspended'))) {
      return all.some((verdict) => verdict?.kind === 'suspended') ? 'suspended' : 'healthy';
    }
    return 'pending';
  }

  // 2. One GET per app (refreshing those that have not seen the revision), then syncs when asked.
  await Promise.all([...names.keys()].map((id) => fetch(id, false)));
  const stale = [...names.keys()].filter((id) => { const v = verdicts.get(id); return v?.kind === 'waiting' && v.needsRefresh; });
  if (revision !== undefined) await Promise.all(stale.map((id) => fetch(id, true)));
  if (options.sync && outcome() === 'pending') await startSyncs();

  // 3. One stream for all of them, until every app is done or the time is up.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - clock.now()));
  const guard = setInterval(() => {
    for (const id of names.keys()) {
      const verdict = verdicts.get(id);
      if (verdict?.kind !== 'waiting') continue;
      const refresh = verdict.needsRefresh && clock.now() - (lastRefresh.get(id) ?? 0) >= (options.refreshIntervalMs ?? REFRESH_INTERVAL_MS);
      void fetch(id, refresh).catch(() => undefined);
    }
  }, Math.min(options.guardIntervalMs ?? GUARD_INTERVAL_MS, options.refreshIntervalMs ?? REFRESH_INTERVAL_MS));
  try {
    if (outcome() === 'pending') {
      const only = names.size === 1 ? [...names.values()][0] : undefined;
      const query =
        only !== undefined
          ? { name: only.name, appNamespace: only.namespace }
          : options.selector !== undefined && options.applications.length === 0 && options.childrenOf === undefined
            ? { selector: options.selector, appNamespace: options.appNamespace }
            : { appNamespace: options.appNamespace };
      requests.streams++;
      for await (const event of client.watch(query, { signal: controller.signal, onReconnect: (reason) => options.log.info(`The Argo CD watch stream was re-opened (${reason}).`) })) {
        if (event.type === 'DELETED') continue;
        await consider(event.application);
        if (outcome() !== 'pending') break;
      }
    }
  } finally {
    clearTimeout(timer);
    clearInterval(guard);
    controller.abort();
  }
  // Guard GETs may have decided it while the stream was quiet.
  const final = outcome();
  const result: WaitResultKind = final === 'pending' ? 'timeout' : final;

  const apps: AppReport[] = [...names.entries()].map(([id, target]) => {
    const app = latest.get(id);
    const verdict = verdicts.get(id);
    const state: AppReport['state'] =
      verdict?.kind === 'ready' ? 'ready' : verdict?.kind === 'suspended' ? 'suspended' : verdict?.kind === 'failed' || verdict?.kind === 'degraded' ? 'failed' : app === undefined ? 'missing' : 'waiting';
    const detail = verdict === undefined ? 'never read' : verdict.kind === 'waiting' ? verdict.why : verdict.kind === 'failed' || verdict.kind === 'degraded' ? verdict.sentence : verdict.kind === 'suspended' ? verdict.message : 'ready';
    return {
      name: target.name,
      namespace: target.namespace ?? app?.metadata.namespace,
      sync: app?.status?.sync?.status ?? 'Unknown',
      health: app?.status?.health?.status ?? 'Unknown',
      revision: app === undefined ? undefined : revisionsOf(app)[0],
      operationPhase: app?.status?.operationState?.phase,
      startedAt: app?.status?.operationState?.startedAt,
      finishedAt: app?.status?.operationState?.finishedAt,
      unhealthy: app === undefined ? [] : unhealthyResources(app),
      state,
      detail,
      url: client.appUrl(target.name, target.namespace),
    };
  });
  let failure: string | undefined;
  if (result === 'failed' || result === 'degraded') {
    failure = [...verdicts.values()].find((verdict): verdict is Extract<Verdict, { sentence: string }> => verdict.kind === 'failed' || verdict.kind === 'degraded')?.sentence;
  } else if (result === 'timeout') {
    const seconds = Math.round(options.timeoutMs / 1000);
    failure = `Argo CD did not run ${short(revision)} healthy within ${seconds} s: ${apps.filter((app) => app.state !== 'ready').map((app) => `${app.name} ${app.sync}/${app.health} at ${short(app.revision)} (${app.detail})`).join('; ')}.`;
  } else if (result === 'suspended' && options.onSuspended === 'fail') {
    failure = `Argo CD application ${apps.find((app) => app.state === 'suspended')?.name ?? ''} is Suspended (${apps.find((app) => app.state === 'suspended')?.detail ?? ''}), and a suspended rollout counts as a failure here.`;
  }
  return { result, apps, failure, revision: apps[0]?.revision, durationMs: clock.now() - started, requests };
}
