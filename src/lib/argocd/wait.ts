/**
 * Waiting until Argo CD runs a commit and it is healthy: shared by wait-for-argo-sync and rollback.
 *
 * Ready, per application, judged from one application object: every synced revision is `revision` or a descendant of
 * it (when the caller can tell, from a checkout's history; else equality only), sync Synced, health Healthy (unless
 * health is not required), no operation pending, the last operation finished and reconciled after it finished (and,
 * after our own sync, that operation is ours). One GET per app first (a selector's list stands for it; a ready app
 * returns at once), then ONE watch stream for all of them (a named watch for one app, the selector's for a selector,
 * else one unfiltered stream filtered here); a GET after a minute without news guards against a silent stream, and
 * an app that has not seen the revision yet is asked to refresh at a growing, bounded interval.
 *
 * It fails fast, in one sentence naming the app, the revision and the reason, on Degraded/Missing at the revision
 * (with the unhealthy resources), a failed operation (with the failed resources), a newer revision that does not
 * contain ours, comparison errors, a refused sync, or an app that stays "not found or not permitted" past a grace
 * period. A timeout reports the last state seen for every app.
 */
import type { Logger } from '../command.ts';
import { UserError } from '../errors.ts';
import { SYSTEM_CLOCK, type Clock } from '../retry.ts';
import type { ArgoCdClient } from './client.ts';
import { NetworkError } from '../http.ts';
import { isArgoCdError } from './errors.ts';
import { isAutoSyncEnabled, type Application, type ApplicationTree, type HealthStatus } from './types.ts';

export type WaitResultKind = 'healthy' | 'suspended' | 'degraded' | 'failed' | 'timeout';

/** How the caller relates a synced revision to the one it waits for (from a checkout's history). */
export interface RevisionHistoryCheck {
  /** True when `candidate` contains `revision` (is it, or a descendant of it). */
  contains(revision: string, candidate: string): Promise<boolean>;
  /** True when `candidate` is an ancestor of `revision` (the app has not seen ours yet), or unknown to the history. */
  isOlder(revision: string, candidate: string): Promise<boolean>;
}

export interface WaitOptions {
  /** Application names (`namespace/name` allowed). */
  readonly applications: readonly string[];
  /** A Kubernetes label selector of Applications. */
  readonly selector?: string | undefined;
  /** The child Applications of this app-of-apps parent (from its `status.resources[]`). */
  readonly childrenOf?: string | undefined;
  readonly appNamespace?: string | undefined;
  readonly project?: string | undefined;
  /** The full commit that must run; undefined: any revision (then only sync, health and operations count). */
  readonly revision?: string | undefined;
  /** Accepts descendants of `revision`; without it only `revision` itself counts. */
  readonly history?: RevisionHistoryCheck | undefined;
  /** Require Healthy (default true); false: Synced is enough. */
  readonly health?: boolean | undefined;
  readonly onSuspended?: 'wait' | 'succeed' | 'fail' | undefined;
  /** Sync apps without auto-sync to `revision` (and wait for that operation). */
  readonly sync?: boolean | undefined;
  readonly prune?: boolean | undefined;
  /** Sync options (`ServerSideApply=true`); they replace the app's own. */
  readonly syncOptions?: readonly string[] | undefined;
  readonly refresh?: 'normal' | 'hard' | 'off' | undefined;
  readonly timeoutMs: number;
  /**
   * An app that answers "not found or not permitted" this long fails (an ApplicationSet may still be creating it);
   * default 60 s, or half the timeout when that is shorter, so a short timeout still ends with the real reason.
   */
  readonly notFoundGraceMs?: number | undefined;
  /** Put in `infos` of our sync, so that our operation is told apart from others. */
  readonly runId?: string | undefined;
  readonly log: Pick<Logger, 'info'>;
  readonly clock?: Clock | undefined;
  /** Ends the wait early (its result is then `timeout`). */
  readonly signal?: AbortSignal | undefined;
  /** Re-read an app after this long without an event about it (default 60 s). */
  readonly guardIntervalMs?: number | undefined;
  /** First interval between refreshes of an app that has not seen the revision (default 10 s, doubling up to 60 s). */
  readonly refreshIntervalMs?: number | undefined;
  /** How often an app that is not found (yet) is looked up again (default 5 s, or a quarter of the grace period when shorter). */
  readonly missingPollMs?: number | undefined;
  /**
   * After Argo CD's own rollback (`rollbackToRevision`): the app stays OutOfSync against its branch, so the revision
   * that counts is the operation's (`syncResult`), sync status is not required, and only an operation started at or
   * after `operationSince` counts.
   */
  readonly afterRollback?: boolean | undefined;
  /** Only operations started at or after this time (ms since the epoch) count (a rollback's request time). */
  readonly operationSince?: number | undefined;
  /** Before re-opening a dropped stream (default 1 s, as the argocd CLI). */
  readonly reconnectDelayMs?: number | undefined;
  /**
   * The budget of the first reads, retries included (default 30 s, and never past the timeout): a server that refuses
   * the connection is retried for a few seconds (a restarting API server comes back), one that does not answer within
   * this fails the wait with the reason. Once the server has answered, a lost connection is only logged and retried.
   */
  readonly firstContactMs?: number | undefined;
}

export interface AppReport {
  name: string;
  namespace: string | undefined;
  sync: string;
  health: string;
  /** The synced revision (the first source's for multi-source apps). */
  revision: string | undefined;
  revisions: string[];
  operationPhase: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /** `kind/name: status (message)` of every resource that is not Healthy. */
  unhealthy: string[];
  state: 'ready' | 'suspended' | 'waiting' | 'failed' | 'missing';
  /** Why it is waiting, suspended or failed, in words. */
  detail: string;
  /** The app's page in the Argo CD UI. */
  url: string;
}

export interface WaitResult {
  result: WaitResultKind;
  apps: AppReport[];
  /** One sentence when the wait did not succeed. */
  failure: string | undefined;
  /** What runs now (the first app's revision). */
  revision: string | undefined;
  durationMs: number;
  /** Requests made: reads (GET, list, refresh), syncs, and watch streams opened (re-opens included). */
  requests: { gets: number; syncs: number; streams: number };
}

type Verdict =
  | { kind: 'ready' }
  | { kind: 'suspended'; message: string }
  | { kind: 'waiting'; why: string; needsRefresh: boolean }
  | { kind: 'missing'; why: string }
  | { kind: 'degraded'; sentence: string }
  | { kind: 'failed'; sentence: string };

type Relation = 'contains' | 'older' | 'unrelated' | 'unknown';

interface Tracked {
  target: ApplicationTarget;
  app: Application | undefined;
  verdict: Verdict | undefined;
  /** When it was last read (GET or event), for the guard. */
  lastSeen: number;
  /** When it was last asked to refresh, and how many times. */
  lastRefresh: number;
  refreshes: number;
  missingSince: number | undefined;
  /** Our sync: requested at (ms), so that only that operation counts. */
  ourSyncAt: number | undefined;
  /** A GET for it is in flight. */
  reading: boolean;
  /** The unhealthy resources read from the resource tree, when the app object carried no resource health. */
  treeUnhealthy: string[] | undefined;
}

const DEFAULT_GRACE_MS = 60_000;
const GUARD_INTERVAL_MS = 60_000;
const REFRESH_INTERVAL_MS = 10_000;
const MAX_REFRESH_INTERVAL_MS = 60_000;
const MISSING_POLL_MS = 5_000;
const OPERATION_RETRY_MS = 1_000;
export const FIRST_CONTACT_MS = 30_000;
const RUN_INFO = 'ml-gitops-run';

const short = (revision: string | undefined): string => (revision === undefined || revision === '' ? 'no revision' : revision.slice(0, 12));

function splitName(name: string, appNamespace: string | undefined): ApplicationTarget {
  const slash = name.indexOf('/');
  return slash === -1 ? { name, namespace: appNamespace } : { namespace: name.slice(0, slash), name: name.slice(slash + 1) };
}

function targetKey(target: ApplicationTarget): string {
  return `${target.namespace ?? ''}/${target.name}`;
}

/** The synced revisions: `revisions[]` for multi-source apps, else `revision`. */
export function syncedRevisions(app: Application): string[] {
  const sync = app.status?.sync;
  if (sync?.revisions !== undefined && sync.revisions.length > 0) return sync.revisions.filter((revision) => revision !== '');
  return sync?.revision === undefined || sync.revision === '' ? [] : [sync.revision];
}

/** The revisions the last operation deployed (`syncResult`), else those of the requested operation. */
function operationRevisions(app: Application): string[] {
  const state = app.status?.operationState;
  const result = state?.syncResult;
  const revisions = result?.revisions?.filter((item) => item !== '') ?? [];
  if (revisions.length > 0) return revisions;
  if (result?.revision !== undefined && result.revision !== '') return [result.revision];
  return [];
}

/** `kind/name: status (message)` of each resource whose health is neither Healthy nor Suspended. */
export function unhealthyResources(app: Application): string[] {
  return unhealthyOf(app.status?.resources ?? []);
}

/** The same, of the nodes of a resource tree (where Argo CD keeps resource health since 3.0). */
export function unhealthyNodes(tree: ApplicationTree): string[] {
  return unhealthyOf(tree.nodes ?? []);
}

function unhealthyOf(resources: readonly { kind?: string | undefined; name?: string | undefined; health?: HealthStatus | undefined }[]): string[] {
  return resources
    .filter((resource) => resource.health?.status !== undefined && !['Healthy', 'Suspended'].includes(resource.health.status))
    .map((resource) => `${resource.kind ?? '?'}/${resource.name ?? '?'}: ${resource.health?.status}${resource.health?.message ? ` (${resource.health.message})` : ''}`);
}

/** Whether any resource of the app object carries a health (Argo CD fills it in from the tree; a cache miss leaves it out). */
function hasResourceHealth(app: Application): boolean {
  return (app.status?.resources ?? []).some((resource) => resource.health?.status !== undefined);
}

function suspendedMessage(app: Application): string {
  const resource = (app.status?.resources ?? []).find((item) => item.health?.status === 'Suspended' && item.health.message);
  return resource?.health?.message ?? app.status?.health?.message ?? 'paused';
}

function time(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** An application to wait for: its name and, outside the control plane's namespace, its namespace. */
export interface ApplicationTarget {
  name: string;
  namespace: string | undefined;
}

export interface ResolvedApplications {
  /** Named ones first, then the selector's, then the parent's children; each once. */
  targets: ApplicationTarget[];
  /** The objects the selector's list returned, by target: they count as a first read. */
  listed: Map<string, Application>;
  /** Requests made (the list, the parent's GET). */
  reads: number;
}

/** `namespace/name` of a target, or its bare name (as the `applications` inputs take it). */
export function targetName(target: ApplicationTarget): string {
  return target.namespace === undefined ? target.name : `${target.namespace}/${target.name}`;
}

/**
 * The applications named, matching the selector, and the children of the app-of-apps parent (from its
 * `status.resources[]`: since Argo CD 3 children carry no tracking label a selector could find); a UserError when the
 * selector or the parent yields none, or nothing is asked for.
 */
export async function resolveApplications(
  client: ArgoCdClient,
  options: Pick<WaitOptions, 'applications' | 'selector' | 'childrenOf' | 'appNamespace' | 'project'>,
  /** The budget of each read (list, parent), retries included; default the client's. */
  timeoutMs?: number,
): Promise<ResolvedApplications> {
  const targets = new Map<string, ApplicationTarget>();
  const listed = new Map<string, Application>();
  let reads = 0;
  const add = (target: ApplicationTarget): void => {
    if (!targets.has(targetKey(target))) targets.set(targetKey(target), target);
  };
  for (const raw of options.applications) add(splitName(raw, options.appNamespace));
  if (options.selector !== undefined) {
    reads++;
    const found = await client.list({ selector: options.selector, appNamespace: options.appNamespace, projects: options.project === undefined ? undefined : [options.project], timeoutMs });
    if (found.length === 0 && options.applications.length === 0 && options.childrenOf === undefined) {
      throw new UserError(
        `Argo CD at ${client.location} has no application matching the selector "${options.selector}" (or the token may not see them); check the selector against the Applications' labels (since Argo CD 3 the children of an app-of-apps carry no tracking label: name the parent instead).`,
      );
    }
    for (const app of found) {
      const target = { name: app.metadata.name, namespace: app.metadata.namespace === undefined || app.metadata.namespace === '' ? options.appNamespace : app.metadata.namespace };
      add(target);
      listed.set(targetKey(target), app);
    }
  }
  if (options.childrenOf !== undefined) {
    const parent = splitName(options.childrenOf, options.appNamespace);
    reads++;
    const app = await client.get(parent.name, { appNamespace: parent.namespace, project: options.project, timeoutMs });
    const children = (app.status?.resources ?? []).filter((resource) => resource.kind === 'Application' && resource.name !== undefined);
    if (children.length === 0) {
      throw new UserError(`The Argo CD application ${options.childrenOf} lists no child Application in its status.resources, so there is nothing to wait for; check that it is an app-of-apps parent.`);
    }
    for (const child of children) add({ name: child.name as string, namespace: child.namespace ?? parent.namespace });
  }
  if (targets.size === 0) throw new UserError('No Argo CD application to wait for: name applications, a selector or an app-of-apps parent.');
  return { targets: [...targets.values()], listed, reads };
}

/**
 * Waits for the applications; resolves with the result in every outcome except a failure to talk to Argo CD at all
 * (an ArgoCdError: bad token, unreachable server), which it throws.
 */
export async function waitForApplications(client: ArgoCdClient, options: WaitOptions): Promise<WaitResult> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = options.log;
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  const grace = options.notFoundGraceMs ?? Math.min(DEFAULT_GRACE_MS, options.timeoutMs / 2);
  const guardMs = options.guardIntervalMs ?? GUARD_INTERVAL_MS;
  const refreshMs = options.refreshIntervalMs ?? REFRESH_INTERVAL_MS;
  const missingMs = options.missingPollMs ?? Math.max(50, Math.min(MISSING_POLL_MS, grace / 4));
  const requireHealth = options.health ?? true;
  const onSuspended = options.onSuspended ?? 'wait';
  const refreshMode = options.refresh ?? 'normal';
  const requests = { gets: 0, syncs: 0, streams: 0 };
  const revision = options.revision;
  const relations = new Map<string, Promise<Relation>>();
  const scope = { project: options.project };
  const firstContactMs = options.firstContactMs ?? FIRST_CONTACT_MS;
  /** The budget of a read before the server ever answered: bounded, and ending by the deadline with the real reason. */
  const contactBudget = (): number => Math.max(1, Math.min(firstContactMs, deadline - clock.now()));
  /** Whether the server has answered anything yet (a 403 "not found" counts): from then on, lost connections are retried. */
  let reached = false;

  // 1. Which applications.
  const tracked = new Map<string, Tracked>();
  const found = await resolveApplications(client, options, contactBudget());
  if (found.reads > 0) reached = true;
  requests.gets += found.reads;
  for (const target of found.targets) {
    tracked.set(targetKey(target), {
      target,
      app: undefined,
      verdict: undefined,
      lastSeen: 0,
      lastRefresh: 0,
      refreshes: 0,
      missingSince: undefined,
      ourSyncAt: undefined,
      reading: false,
      treeUnhealthy: undefined,
    });
  }
  const listed = found.listed;

  /** How `candidate` relates to the revision waited for (cached per commit). */
  function relation(candidate: string): Promise<Relation> {
    if (revision === undefined || candidate === revision) return Promise.resolve('contains');
    let answer = relations.get(candidate);
    if (answer === undefined) {
      const history = options.history;
      answer =
        history === undefined
          ? Promise.resolve<Relation>('unknown')
          : (async (): Promise<Relation> => {
              if (await history.contains(revision, candidate)) return 'contains';
              return (await history.isOlder(revision, candidate)) ? 'older' : 'unrelated';
            })();
      relations.set(candidate, answer);
    }
    return answer;
  }

  /** Whether the app's operation state is the one our sync started (info entry, else start time). */
  function isOurOperation(app: Application, entry: Tracked): boolean {
    const since = entry.ourSyncAt ?? options.operationSince;
    if (since === undefined) return true;
    const state = app.status?.operationState;
    if (state === undefined) return false;
    const info = state.operation?.info ?? [];
    if (options.runId !== undefined && info.some((item) => item.name === RUN_INFO && item.value === options.runId)) return true;
    // metav1.Time has second precision: a start within the second of our request counts.
    const startedAt = time(state.startedAt);
    return startedAt !== undefined && startedAt >= Math.floor(since / 1000) * 1000 && info.length === 0 && state.operation?.initiatedBy?.automated !== true;
  }

  async function judge(app: Application, entry: Tracked): Promise<Verdict> {
    const name = app.metadata.name;
    const status = app.status ?? {};
    const revisions = options.afterRollback === true ? operationRevisions(app) : syncedRevisions(app);
    const wanted = revision === undefined ? '' : ` ${short(revision)}`;
    for (const condition of status.conditions ?? []) {
      if (condition.type === 'ComparisonError' || condition.type === 'InvalidSpecError') {
        return { kind: 'failed', sentence: `Argo CD application ${name} cannot deploy revision${wanted || ' (any)'}: ${condition.type}: ${condition.message ?? 'no message'}` };
      }
    }
    if (revision !== undefined) {
      if (revisions.length === 0) return { kind: 'waiting', why: 'no synced revision yet', needsRefresh: true };
      for (const candidate of revisions) {
        const relates = await relation(candidate);
        if (relates === 'unrelated') {
          return {
            kind: 'failed',
            sentence: `Argo CD application ${name} now runs revision ${short(candidate)}, which does not contain${wanted}: a newer commit replaced it, or the app follows another branch`,
          };
        }
        if (relates !== 'contains') return { kind: 'waiting', why: `at ${short(candidate)}, not yet at${wanted}`, needsRefresh: entry.ourSyncAt === undefined };
      }
    }
    const state = status.operationState;
    const phase = state?.phase;
    const ours = isOurOperation(app, entry);
    if (app.operation !== undefined) return { kind: 'waiting', why: 'an operation is requested', needsRefresh: false };
    if (!ours) return { kind: 'waiting', why: 'waiting for our sync to start', needsRefresh: false };
    if ((phase === 'Failed' || phase === 'Error') && state !== undefined) {
      const resultRevision = state.syncResult?.revisions?.find((item) => item !== '') ?? (state.syncResult?.revision || undefined);
      const atOurs = resultRevision === undefined || (await relation(resultRevision)) === 'contains';
      if (atOurs) {
        const failedResources = (state.syncResult?.resources ?? [])
          .filter((resource) => resource.status !== undefined && resource.status !== 'Synced' && resource.status !== 'Pruned')
          .map((resource) => `${resource.kind ?? '?'}/${resource.name ?? '?'}: ${resource.message ?? resource.status}`);
        return {
          kind: 'failed',
          sentence: `The sync of Argo CD application ${name} to ${short(resultRevision ?? revision ?? revisions[0])} ${phase === 'Error' ? 'ended in an error' : 'failed'}: ${state.message ?? 'no message'}${failedResources.length > 0 ? `; failed resources: ${failedResources.join('; ')}` : ''}`,
        };
      }
    }
    const sync = status.sync?.status;
    const health = status.health?.status;
    if (phase === 'Running' || phase === 'Terminating') {
      // With hooks or waves a Suspended rollout keeps the operation running: that is the pause, not the sync.
      if (requireHealth && sync === 'Synced' && health === 'Suspended') return { kind: 'suspended', message: suspendedMessage(app) };
      return { kind: 'waiting', why: `operation ${phase}`, needsRefresh: false };
    }
    if (sync !== 'Synced' && options.afterRollback !== true) return { kind: 'waiting', why: `sync ${sync ?? 'Unknown'}`, needsRefresh: sync !== 'OutOfSync' || entry.ourSyncAt === undefined };
    const finishedAt = time(state?.finishedAt);
    if (state !== undefined && finishedAt === undefined) return { kind: 'waiting', why: 'the last operation has not finished', needsRefresh: false };
    const reconciledAt = time(status.reconciledAt);
    if (finishedAt !== undefined && state?.operation?.sync?.dryRun !== true && (reconciledAt === undefined || reconciledAt < finishedAt)) {
      return { kind: 'waiting', why: 'not reconciled since the last sync', needsRefresh: false };
    }
    if (!requireHealth) return { kind: 'ready' };
    // Synced at our revision: the health is our deployment's.
    if (health === 'Degraded' || health === 'Missing') {
      let resources = unhealthyResources(app);
      if (resources.length === 0 && !hasResourceHealth(app)) {
        // The object came without resource health (Argo CD infers it from its tree cache, which can miss): the tree has it.
        resources = await treeUnhealthy(entry);
      }
      return {
        kind: 'degraded',
        sentence: `Argo CD application ${name} is ${health} at ${short(revisions[0])}${status.health?.message ? `: ${status.health.message}` : ''}${resources.length > 0 ? `; unhealthy resources: ${resources.join('; ')}` : ''}`,
      };
    }
    if (health === 'Healthy') return { kind: 'ready' };
    if (health === 'Suspended') return { kind: 'suspended', message: suspendedMessage(app) };
    return { kind: 'waiting', why: `health ${health ?? 'Unknown'}`, needsRefresh: false };
  }

  /** The unhealthy nodes of the app's resource tree (one request; none when it fails: the sentence goes out without them). */
  async function treeUnhealthy(entry: Tracked): Promise<string[]> {
    try {
      requests.gets++;
      entry.treeUnhealthy = unhealthyNodes(await client.resourceTree(entry.target.name, { appNamespace: entry.target.namespace, ...scope }));
    } catch (error) {
      if (isArgoCdError(error) || error instanceof NetworkError) entry.treeUnhealthy = [];
      else throw error;
    }
    return entry.treeUnhealthy;
  }

  function entryFor(app: Application): Tracked | undefined {
    const namespace = app.metadata.namespace === '' ? undefined : app.metadata.namespace;
    const exact = tracked.get(targetKey({ name: app.metadata.name, namespace }));
    if (exact !== undefined) return exact;
    // A name given without a namespace matches the app in the control plane's namespace (the only one such a name reaches).
    for (const entry of tracked.values()) if (entry.target.namespace === undefined && entry.target.name === app.metadata.name) return entry;
    return undefined;
  }

  function describe(entry: Tracked, verdict: Verdict): void {
    const before = entry.verdict;
    entry.verdict = verdict;
    const name = entry.target.name;
    if (verdict.kind === 'suspended' && (before?.kind !== 'suspended' || before.message !== verdict.message)) {
      log.info(`${name} is Suspended: ${verdict.message}${onSuspended === 'wait' ? ' (waiting for it to resume)' : ''}.`);
    } else if ((verdict.kind === 'waiting' || verdict.kind === 'missing') && (before?.kind !== verdict.kind || before.why !== verdict.why)) {
      log.info(`${name}: ${verdict.why}.`);
    } else if (verdict.kind === 'ready' && before?.kind !== 'ready') {
      log.info(`${name} is ${requireHealth ? 'Synced and Healthy' : 'Synced'} at ${short(entry.app === undefined ? undefined : syncedRevisions(entry.app)[0])}.`);
    }
  }

  async function consider(app: Application): Promise<void> {
    const entry = entryFor(app);
    if (entry === undefined) return;
    // Events can overtake a slower GET: keep the newest object.
    const previous = Number(entry.app?.metadata.resourceVersion);
    const current = Number(app.metadata.resourceVersion);
    if (Number.isFinite(previous) && Number.isFinite(current) && current < previous) return;
    entry.app = app;
    entry.lastSeen = clock.now();
    entry.missingSince = undefined;
    describe(entry, await judge(app, entry));
  }

  async function read(entry: Tracked, refresh: boolean): Promise<void> {
    if (entry.reading) return;
    entry.reading = true;
    requests.gets++;
    const doRefresh = refresh && refreshMode !== 'off';
    if (doRefresh) {
      entry.lastRefresh = clock.now();
      entry.refreshes += 1;
    }
    // Before the server ever answered, the read is not cut by the deadline (its own budget ends by then) so that
    // the wait ends with why the server could not be read, not with "never read".
    const firstContact = !reached;
    try {
      const app = await client.get(entry.target.name, {
        appNamespace: entry.target.namespace,
        ...scope,
        ...(doRefresh ? { refresh: refreshMode as 'normal' | 'hard' } : {}),
        onRefreshFallback: (reason) => log.info(`The refresh of ${entry.target.name} did not finish (${reason}); read it without one.`),
        signal: firstContact ? options.signal : stop.signal,
        ...(firstContact ? { timeoutMs: contactBudget() } : {}),
      });
      reached = true;
      await consider(app);
    } catch (error) {
      if (firstContact ? options.signal?.aborted === true : stop.signal.aborted) return;
      if (isArgoCdError(error, 'unreachable') && !firstContact) {
        // The server answered before: an API server restart or a network blip; the stream reconnects meanwhile.
        const why = error.cause instanceof NetworkError ? error.cause.reason : error.message.replace(/\.$/, '');
        log.info(`Argo CD did not answer the read of ${entry.target.name} (${why}); reading it again later.`);
        entry.lastSeen = clock.now();
        return;
      }
      if (!isArgoCdError(error, 'not-found-or-denied') && !isArgoCdError(error, 'not-found')) throw error;
      reached = true;
      entry.missingSince ??= clock.now();
      entry.lastSeen = clock.now();
      if (clock.now() - entry.missingSince >= grace) {
        describe(entry, { kind: 'failed', sentence: stillMissing(client, entry.target, error.serverMessage ?? `HTTP ${error.status ?? '?'}`, clock.now() - entry.missingSince, options) });
      } else {
        describe(entry, { kind: 'missing', why: 'not found or not permitted (yet)' });
      }
    } finally {
      entry.reading = false;
    }
  }

  /** Syncs one app to the revision, waiting out another operation; a refusal becomes the app's failure. */
  async function syncApp(entry: Tracked): Promise<void> {
    const app = entry.app;
    if (app === undefined) return;
    if (isAutoSyncEnabled(app)) {
      log.info(`${entry.target.name} syncs automatically; waiting for its own sync instead of syncing it by hand.`);
      return;
    }
    for (;;) {
      const requestedAt = clock.now();
      try {
        requests.syncs++;
        await client.sync(entry.target.name, {
          appNamespace: entry.target.namespace,
          ...scope,
          revision,
          prune: options.prune ?? false,
          ...(options.syncOptions !== undefined && options.syncOptions.length > 0 ? { syncOptions: options.syncOptions } : {}),
          ...(options.runId !== undefined ? { infos: [{ name: RUN_INFO, value: options.runId }] } : {}),
        });
        entry.ourSyncAt = requestedAt;
        log.info(`Started a sync of ${entry.target.name} to ${short(revision)}${options.prune === true ? ' with prune' : ''}.`);
        return;
      } catch (error) {
        if (isArgoCdError(error, 'operation-in-progress')) {
          if (clock.now() + OPERATION_RETRY_MS >= deadline || stop.signal.aborted) {
            describe(entry, { kind: 'waiting', why: 'another operation is still in progress, so it was not synced', needsRefresh: false });
            return;
          }
          if (entry.verdict?.kind !== 'waiting' || entry.verdict.why !== 'another operation is in progress') {
            describe(entry, { kind: 'waiting', why: 'another operation is in progress', needsRefresh: false });
          }
          try {
            await clock.sleep(OPERATION_RETRY_MS, stop.signal);
          } catch {
            return;
          }
          continue;
        }
        if (isArgoCdError(error) && !['unauthenticated', 'unreachable', 'untrusted-certificate', 'other'].includes(error.reason)) {
          // Sync window, auto-sync revision, permission: a clear failure of this app, reported with the others.
          const why = error.reason === 'sync-window' ? ' (a sync window blocks manual syncs now; sync in an allowed window or ask an admin to allow manual sync)' : '';
          describe(entry, { kind: 'failed', sentence: `${error.message.replace(/\.$/, '')}${why}` });
          return;
        }
        throw error;
      }
    }
  }

  function outcome(): WaitResultKind | 'pending' {
    const all = [...tracked.values()].map((entry) => entry.verdict);
    if (all.some((verdict) => verdict?.kind === 'failed')) return 'failed';
    if (all.some((verdict) => verdict?.kind === 'degraded')) return 'degraded';
    if (onSuspended === 'fail' && all.some((verdict) => verdict?.kind === 'suspended')) return 'suspended';
    if (all.every((verdict) => verdict?.kind === 'ready' || (onSuspended === 'succeed' && verdict?.kind === 'suspended'))) {
      return all.some((verdict) => verdict?.kind === 'suspended') ? 'suspended' : 'healthy';
    }
    return 'pending';
  }

  const stop = new AbortController();
  const settle = (): void => {
    if (outcome() !== 'pending') stop.abort();
  };
  const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - clock.now()));
  const onOuterAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let guard: NodeJS.Timeout | undefined;
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    stop.abort();
  };

  try {
    // 2. One GET per app (none for those the selector's list returned); those that have not seen the revision are
    // refreshed at once; then our syncs.
    await Promise.all(
      [...tracked.values()].map((entry) => {
        const app = listed.get(targetKey(entry.target));
        return app === undefined ? read(entry, false) : consider(app);
      }),
    );
    if (revision !== undefined && outcome() === 'pending') {
      const stale = [...tracked.values()].filter((entry) => entry.verdict?.kind === 'waiting' && entry.verdict.needsRefresh);
      await Promise.all(stale.map((entry) => read(entry, true)));
    }
    if (options.sync === true && outcome() === 'pending') {
      await Promise.all([...tracked.values()].filter((entry) => entry.verdict?.kind !== 'ready').map((entry) => syncApp(entry)));
    }
    settle();

    // 3. Guard: re-read apps the stream said nothing about for a while, refresh stale ones, look up missing ones.
    const tick = Math.max(10, Math.min(guardMs, refreshMs, missingMs) / 2);
    guard = setInterval(() => {
      const now = clock.now();
      for (const entry of tracked.values()) {
        const verdict = entry.verdict;
        if (verdict === undefined || verdict.kind === 'failed' || verdict.kind === 'degraded') continue;
        const refreshDue = verdict.kind === 'waiting' && verdict.needsRefresh && refreshMode !== 'off' && now - entry.lastRefresh >= Math.min(MAX_REFRESH_INTERVAL_MS, refreshMs * 2 ** Math.max(0, entry.refreshes - 1));
        const missingDue = verdict.kind === 'missing' && now - entry.lastSeen >= missingMs;
        const guardDue = now - entry.lastSeen >= guardMs;
        if (refreshDue || missingDue || guardDue) void read(entry, refreshDue).then(settle, fail);
      }
    }, tick);

    // 4. One stream for all of them, until every app is done or the time is up.
    if (!stop.signal.aborted) {
      const entries = [...tracked.values()];
      const only = entries.length === 1 ? entries[0]?.target : undefined;
      const query =
        only !== undefined
          ? { name: only.name, appNamespace: only.namespace, projects: options.project === undefined ? undefined : [options.project] }
          : options.selector !== undefined && options.applications.length === 0 && options.childrenOf === undefined
            ? { selector: options.selector, appNamespace: options.appNamespace, projects: options.project === undefined ? undefined : [options.project] }
            : { appNamespace: options.appNamespace, projects: options.project === undefined ? undefined : [options.project] };
      requests.streams++;
      const events = client.watch(query, {
        signal: stop.signal,
        reconnectDelayMs: options.reconnectDelayMs,
        onReconnect: (reason) => {
          requests.streams++;
          log.info(`The Argo CD watch stream was re-opened (${reason}).`);
        },
      });
      for await (const event of events) {
        if (event.type === 'DELETED') {
          const entry = entryFor(event.application);
          if (entry !== undefined) {
            entry.missingSince ??= clock.now();
            describe(entry, { kind: 'missing', why: 'deleted' });
          }
          continue;
        }
        await consider(event.application);
        settle();
        if (stop.signal.aborted) break;
      }
    }
  } catch (error) {
    failure ??= error;
  } finally {
    clearTimeout(timer);
    if (guard !== undefined) clearInterval(guard);
    options.signal?.removeEventListener('abort', onOuterAbort);
    stop.abort();
  }
  if (failure !== undefined) throw failure;

  const final = outcome();
  const result: WaitResultKind = final === 'pending' ? 'timeout' : final;
  const apps = [...tracked.values()].map((entry) => report(entry, client));
  let sentence: string | undefined;
  if (result === 'failed' || result === 'degraded') {
    const decided = [...tracked.values()].map((entry) => entry.verdict).find((verdict): verdict is Extract<Verdict, { sentence: string }> => verdict?.kind === result);
    sentence = decided === undefined ? undefined : `${decided.sentence}${revision === undefined || decided.sentence.includes(short(revision)) ? '' : ` (waiting for ${short(revision)})`}.`;
  } else if (result === 'timeout') {
    const seconds = Math.round((clock.now() - started) / 1000);
    const pending = apps.filter((app) => app.state !== 'ready');
    sentence = `Argo CD did not run ${revision === undefined ? 'the applications' : short(revision)} ${requireHealth ? 'healthy' : 'synced'} within ${seconds} s: ${pending.map((app) => `${app.name} is ${app.sync}/${app.health} at ${short(app.revision)} (${app.detail})`).join('; ')}.`;
  } else if (result === 'suspended' && onSuspended === 'fail') {
    const app = apps.find((item) => item.state === 'suspended');
    sentence = `Argo CD application ${app?.name ?? ''} is Suspended at ${short(app?.revision)} (${app?.detail ?? 'paused'}), and on-suspended is fail.`;
  }
  return { result, apps, failure: sentence, revision: apps[0]?.revision, durationMs: clock.now() - started, requests };
}

/** Why an app that never appeared failed, with what to check (the API answers 403 for a missing app and a hidden one alike). */
function stillMissing(client: ArgoCdClient, target: ApplicationTarget, serverMessage: string, elapsedMs: number, options: WaitOptions): string {
  const name = target.namespace === undefined ? target.name : `${target.namespace}/${target.name}`;
  const seconds = elapsedMs < 10_000 ? (elapsedMs / 1000).toFixed(1) : String(Math.round(elapsedMs / 1000));
  const scope = [target.namespace === undefined ? undefined : 'namespace', options.project === undefined ? undefined : 'project'].filter((item) => item !== undefined);
  const waitingFor = options.revision === undefined ? '' : ` of waiting for ${short(options.revision)}`;
  return `Argo CD at ${client.location} still reports application ${name} as not found or not permitted after ${seconds} s${waitingFor} (${serverMessage}): check the name${scope.length > 0 ? ` and ${scope.join(' and ')}` : ''}, that the ApplicationSet or parent app meant to create it did, and that the token's RBAC lets it read the app`;
}

function report(entry: Tracked, client: ArgoCdClient): AppReport {
  const app = entry.app;
  const verdict = entry.verdict;
  const state: AppReport['state'] =
    verdict === undefined || verdict.kind === 'missing'
      ? 'missing'
      : verdict.kind === 'ready'
        ? 'ready'
        : verdict.kind === 'suspended'
          ? 'suspended'
          : verdict.kind === 'waiting'
            ? 'waiting'
            : 'failed';
  const detail =
    verdict === undefined
      ? 'never read'
      : verdict.kind === 'waiting' || verdict.kind === 'missing'
        ? verdict.why
        : verdict.kind === 'failed' || verdict.kind === 'degraded'
          ? verdict.sentence
          : verdict.kind === 'suspended'
            ? verdict.message
            : 'ready';
  const revisions = app === undefined ? [] : syncedRevisions(app);
  const namespace = entry.target.namespace ?? (app?.metadata.namespace === '' ? undefined : app?.metadata.namespace);
  return {
    name: entry.target.name,
    namespace,
    sync: app?.status?.sync?.status ?? 'Unknown',
    health: app?.status?.health?.status ?? 'Unknown',
    revision: revisions[0],
    revisions,
    operationPhase: app?.status?.operationState?.phase,
    startedAt: app?.status?.operationState?.startedAt,
    finishedAt: app?.status?.operationState?.finishedAt,
    unhealthy: app === undefined ? [] : hasResourceHealth(app) ? unhealthyResources(app) : (entry.treeUnhealthy ?? []),
    state,
    detail,
    url: client.appUrl(entry.target.name, namespace),
  };
}
