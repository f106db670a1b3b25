/**
 * A strict stand-in for the Argo CD API server (and just enough of its application controller): apps that follow a
 * branch of a REAL bare git repository, refresh and repository polling, auto-sync and manual sync operations with
 * their phases, history and rollback, health derived from the manifests at the deployed revision, the watch stream in
 * both framings, and the server's refusals. Every request, response and streamed event is validated against the
 * server's swagger and the Application CRD; what fails lands in `violations`, which tests assert empty.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { filesAt, isAncestor, resolveRevision } from './git.ts';
import { render, workload, type HealthStatus, type Rendered } from './manifest.ts';
import { loadValidators, type Validators } from './schema.ts';
import { parseSelector } from './selector.ts';
import type { ArgoCdSimulatorOptions, HealthRule, HealthVerdict, ModelMetrics, SimAppDefinition, SimSource } from './types.ts';

export type * from './types.ts';

type Json = Record<string, unknown>;
/** An Application as it goes on the wire. */
export type AppObject = Json & { metadata: Json & { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string> }; spec: Json; status: Json; operation?: Json };

const CONTROL_PLANE_NAMESPACE = 'argocd';
const GRPC = { InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, PermissionDenied: 7, FailedPrecondition: 9, Internal: 13, Unknown: 2, Unauthenticated: 16 } as const;

class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface RequestRecord {
  method: string;
  /** The route (`GET /api/v1/applications/{name}`), or the raw path when none matched. */
  route: string;
  path: string;
  query: Record<string, string[]>;
  status: number;
  /** Request headers (authorization redacted). */
  headers: Record<string, string | string[] | undefined>;
}

interface Deployment {
  revisions: string[];
  modelName: string | undefined;
  modelVersion: string | undefined;
  rendered: Rendered;
}

interface SimApp {
  def: SimAppDefinition;
  key: string;
  sources: Required<SimSource>[];
  multiSource: boolean;
  /** The controller's working copy, mutated step by step. */
  obj: AppObject;
  /** What the API serves: the working copy as of the last change recorded (`bump`), so no reader sees half a step. */
  snapshot: AppObject | undefined;
  /** `status.resources` (health included) as of the last change recorded: what the resource tree shows. */
  treeResources: Json[];
  deployed: Deployment | undefined;
  /** The target revisions last resolved (branch tips). */
  target: string[];
  lastFailedRevision: string | undefined;
  timers: Set<NodeJS.Timeout>;
  operationTimer: NodeJS.Timeout | undefined;
  queue: Promise<void>;
  nextHistoryId: number;
  refreshWaiters: (() => void)[];
}

interface Watcher {
  sse: boolean;
  matches: (app: AppObject) => boolean;
  lastSent: Map<string, string>;
  write: (type: 'ADDED' | 'MODIFIED' | 'DELETED', app: AppObject) => void;
  response: http.ServerResponse;
}

function now(): string {
  // metav1.Time marshals with second precision.
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function splitQuery(search: URLSearchParams): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [key, value] of search) (query[key] ??= []).push(value);
  return query;
}

export class ArgoCdSimulator {
  readonly violations: string[] = [];
  readonly requests: RequestRecord[] = [];
  /** Watch connections open right now, and opened in all. */
  openStreams = 0;
  streamsOpened = 0;
  /** TCP connections accepted in all (keep-alive connections carry many requests). */
  connectionsOpened = 0;
  url = '';
  readonly token: string;

  private readonly options: ArgoCdSimulatorOptions;
  private readonly validators: Validators;
  private readonly apps = new Map<string, SimApp>();
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(type: 'ADDED' | 'MODIFIED' | 'DELETED', app: AppObject) => void>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tokens: Map<string, string>;
  private readonly users: Record<string, string>;
  private readonly bad = new Map<string, string>();
  private readonly suspended = new Map<string, string>();
  private readonly aborted = new Map<string, string>();
  private readonly syncFails = new Map<string, string>();
  private healthRules: HealthRule[] = [];
  private metricsTable: ModelMetrics;
  private resourceVersion = 100;
  private silent = false;
  private server: http.Server | undefined;
  private readonly basePath: string;

  constructor(options: ArgoCdSimulatorOptions = {}) {
    this.options = options;
    this.validators = loadValidators();
    this.tokens = new Map(Object.entries(options.tokens ?? { 'sim-token': 'admin' }));
    this.token = [...this.tokens.keys()][0] ?? '';
    this.users = options.users ?? { admin: 'password' };
    for (const [version, message] of Object.entries(options.bad ?? {})) this.bad.set(version, message);
    for (const [version, message] of Object.entries(options.suspended ?? {})) this.suspended.set(version, message);
    for (const [version, message] of Object.entries(options.syncFails ?? {})) this.syncFails.set(version, message);
    for (const [version, message] of Object.entries(options.aborted ?? {})) this.aborted.set(version, message);
    if (options.healthRule !== undefined) this.healthRules.push(options.healthRule);
    this.metricsTable = options.metrics ?? {};
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Test controls
  // ---------------------------------------------------------------------------------------------------------------

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.connectionsOpened += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    this.url = `http://${this.options.host ?? '127.0.0.1'}:${address.port}${this.basePath}`;
    for (const def of this.options.apps ?? []) {
      if (def.createAfterMs !== undefined && def.createAfterMs > 0) this.later(() => void this.addApp(def), def.createAfterMs);
      else await this.addApp(def);
    }
    return this;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const app of this.apps.values()) this.stopApp(app);
    for (const watcher of this.watchers) watcher.response.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** Creates an Application (an ADDED event for watchers). */
  async addApp(def: SimAppDefinition): Promise<void> {
    const namespace = def.namespace ?? CONTROL_PLANE_NAMESPACE;
    const key = `${namespace}/${def.name}`;
    if (this.apps.has(key)) throw new Error(`app ${key} exists`);
    const sourceDefs: SimSource[] = def.sources ?? [{ repo: def.repo ?? '', repoURL: def.repoURL, path: def.path, targetRevision: def.targetRevision } as SimSource];
    const sources = sourceDefs.map((source) => {
      if (source.repo === '') throw new Error(`app ${key} needs a repo`);
      return { repo: source.repo, repoURL: source.repoURL ?? `file://${source.repo}`, path: source.path ?? '.', targetRevision: source.targetRevision ?? 'main' };
    });
    const specSource = (source: Required<SimSource>): Json => ({ repoURL: source.repoURL, path: source.path, targetRevision: source.targetRevision });
    const multiSource = def.sources !== undefined;
    const obj: AppObject = {
      metadata: {
        name: def.name,
        namespace,
        uid: randomUUID(),
        resourceVersion: '0',
        generation: 1,
        creationTimestamp: now(),
        ...(def.labels === undefined ? {} : { labels: { ...def.labels } }),
        ...(def.applicationSet === undefined
          ? {}
          : {
              ownerReferences: [
                { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: def.applicationSet, uid: randomUUID(), controller: true, blockOwnerDeletion: true },
              ],
            }),
      },
      spec: {
        project: def.project ?? 'default',
        ...(multiSource ? { sources: sources.map(specSource) } : { source: specSource(sources[0]!) }),
        destination: { server: 'https://kubernetes.default.svc', namespace: def.destinationNamespace ?? def.name },
        syncPolicy: def.automated === false ? { syncOptions: ['CreateNamespace=true'] } : { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        ...(def.revisionHistoryLimit === undefined ? {} : { revisionHistoryLimit: def.revisionHistoryLimit }),
      },
      status: {
        sync: { status: 'Unknown' },
        health: { status: 'Missing', lastTransitionTime: now() },
        resources: [],
        history: [],
        sourceType: 'Directory',
        ...(multiSource ? { sourceTypes: sources.map(() => 'Directory') } : {}),
        summary: {},
        controllerNamespace: CONTROL_PLANE_NAMESPACE,
        resourceHealthSource: 'appTree',
      },
    };
    const app: SimApp = {
      def,
      key,
      sources,
      multiSource,
      obj,
      snapshot: undefined,
      treeResources: [],
      deployed: undefined,
      target: [],
      lastFailedRevision: undefined,
      timers: new Set(),
      operationTimer: undefined,
      queue: Promise.resolve(),
      nextHistoryId: 0,
      refreshWaiters: [],
    };
    this.apps.set(key, app);
    if (def.initiallySynced !== false) {
      const revisions = await Promise.all(sources.map((source) => this.resolve(source.repo, source.targetRevision)));
      if (revisions.every((revision): revision is string => revision !== undefined)) {
        await this.deploy(app, revisions, { automated: true }, now());
        app.target = revisions;
        this.setSync(app);
        await this.settleHealth(app, false);
      }
    }
    this.bump(app, 'ADDED');
    await this.reconcile(app);
    const poll = setInterval(() => this.enqueue(app, () => this.reconcile(app)), this.options.pollIntervalMs ?? 180_000);
    poll.unref();
    app.timers.add(poll);
  }

  /** Deletes an Application (a DELETED event). */
  deleteApp(name: string, namespace = CONTROL_PLANE_NAMESPACE): void {
    const app = this.apps.get(`${namespace}/${name}`);
    if (app === undefined) return;
    this.stopApp(app);
    this.apps.delete(app.key);
    this.resourceVersion += 1;
    app.obj.metadata.resourceVersion = String(this.resourceVersion);
    this.broadcast('DELETED', clone(app.obj));
  }

  /** The app as the API would return it, or undefined. */
  app(name: string, namespace = CONTROL_PLANE_NAMESPACE): AppObject | undefined {
    const app = this.apps.get(`${namespace}/${name}`);
    return app?.snapshot === undefined ? undefined : clone(app.snapshot);
  }

  /** A deployment of this model version turns Degraded with `message` on its workload. */
  markBad(version: string | number, message = `Deployment exceeded its progress deadline (model version ${version} fails its readiness probe)`): void {
    this.bad.set(String(version), message);
    this.reevaluate();
  }

  markSuspended(version: string | number, message = 'CanaryPauseStep'): void {
    this.suspended.set(String(version), message);
    this.reevaluate();
  }

  markSyncFails(version: string | number, message = 'one or more objects failed to apply'): void {
    this.syncFails.set(String(version), message);
  }

  /**
   * Argo Rollouts aborts the canary of this model version (a failed analysis run, or `kubectl argo rollouts abort`):
   * the Rollout turns Degraded with its abort message (`RolloutAborted: Rollout aborted update to revision N: ...`,
   * N the Rollout's revision) while sync stays Synced at the new commit. Only apps whose workload is a Rollout; it wins
   * over a pause (a canary paused at a step, then aborted).
   */
  markAborted(version: string | number, message = 'Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)'): void {
    this.aborted.set(String(version), message);
    this.reevaluate();
  }

  clearMarks(version: string | number): void {
    for (const marks of [this.bad, this.suspended, this.aborted, this.syncFails]) marks.delete(String(version));
    this.reevaluate();
  }

  /** A rule consulted before the marks; undefined from it falls through. */
  addHealthRule(rule: HealthRule): void {
    this.healthRules.unshift(rule);
    this.reevaluate();
  }

  setMetrics(metrics: ModelMetrics): void {
    this.metricsTable = metrics;
  }

  setStuck(name: string, stuck: boolean, namespace = CONTROL_PLANE_NAMESPACE): void {
    this.mustGet(name, namespace).def.stuck = stuck;
  }

  setSyncWindowBlocked(name: string, blocked: boolean, namespace = CONTROL_PLANE_NAMESPACE): void {
    this.mustGet(name, namespace).def.syncWindowBlocked = blocked;
  }

  /** Processes a refresh as the controller would after a webhook. */
  async refresh(name: string, namespace = CONTROL_PLANE_NAMESPACE): Promise<void> {
    const app = this.mustGet(name, namespace);
    await this.enqueue(app, () => this.reconcile(app));
  }

  /** Cuts every open watch connection; returns how many. */
  dropStreams(): number {
    const count = this.watchers.size;
    for (const watcher of this.watchers) watcher.response.socket?.destroy();
    return count;
  }

  /**
   * While true, watch connections stay open (new ones too) but carry nothing: a proxy that buffers the chunked
   * response, or a server whose informer stalled. Only a GET sees changes meanwhile.
   */
  silenceStreams(silent: boolean): void {
    this.silent = silent;
  }

  /** Sends an in-band stream error (`{"error": {...}}`) on every open watch, then ends them. */
  streamError(message: string, httpCode = 503): number {
    const count = this.watchers.size;
    const grpc = httpCode === 403 ? GRPC.PermissionDenied : httpCode === 401 ? GRPC.Unauthenticated : 14;
    for (const watcher of this.watchers) {
      const error = { grpc_code: grpc, http_code: httpCode, message, http_status: http.STATUS_CODES[httpCode] ?? 'Error', details: [] };
      this.check('runtimeStreamError', error, 'stream error');
      const line = JSON.stringify({ error });
      watcher.response.end(watcher.sse ? `data: ${line}\n\n` : `${line}\n`);
    }
    return count;
  }

  /**
   * Called with every change the API will serve (the same objects watchers get), at the moment it is made: benchmarks
   * take the time an app became ready from here. Answers a function that unsubscribes.
   */
  onUpdate(listener: (type: 'ADDED' | 'MODIFIED' | 'DELETED', app: AppObject) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Requests whose route matches (e.g. `GET /api/v1/applications/{name}`). */
  requestCount(route?: string): number {
    return route === undefined ? this.requests.length : this.requests.filter((request) => request.route === route).length;
  }

  /** Resolves when `predicate` holds for the app (polling the state every 5 ms), or rejects after `timeoutMs`. */
  async waitFor(name: string, predicate: (app: AppObject) => boolean, timeoutMs = 10_000, namespace = CONTROL_PLANE_NAMESPACE): Promise<AppObject> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const app = this.app(name, namespace);
      if (app !== undefined && predicate(app)) return app;
      if (Date.now() > deadline) throw new Error(`app ${name} did not reach the expected state within ${timeoutMs} ms: ${JSON.stringify(app?.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The Prometheus text of the model metrics of every app's running version. */
  metricsText(): string {
    const lines: string[] = ['# TYPE model_serving_info gauge'];
    const samples = new Map<string, string[]>();
    for (const app of this.apps.values()) {
      const deployed = app.deployed;
      if (deployed?.modelVersion === undefined) continue;
      const model = deployed.modelName ?? app.def.name;
      const labels = `app="${app.def.name}",model="${model}",version="${deployed.modelVersion}"`;
      lines.push(`model_serving_info{${labels},health="${String((app.obj.status.health as Json).status)}"} 1`);
      for (const [metric, value] of Object.entries(this.metricsTable[model]?.[deployed.modelVersion] ?? {})) {
        const name = `model_${metric.replace(/[^A-Za-z0-9_]/g, '_')}`;
        (samples.get(name) ?? samples.set(name, []).get(name)!).push(`${name}{${labels}} ${value}`);
      }
    }
    for (const [name, values] of samples) lines.push(`# TYPE ${name} gauge`, ...values);
    return `${lines.join('\n')}\n`;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The controller
  // ---------------------------------------------------------------------------------------------------------------

  private mustGet(name: string, namespace: string): SimApp {
    const app = this.apps.get(`${namespace}/${name}`);
    if (app === undefined) throw new Error(`no app ${namespace}/${name}`);
    return app;
  }

  private later(fn: () => void, ms: number, app?: SimApp): NodeJS.Timeout {
    const timers = app?.timers ?? this.timers;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  }

  private stopApp(app: SimApp): void {
    for (const timer of app.timers) clearTimeout(timer);
    app.timers.clear();
  }

  private enqueue(app: SimApp, fn: () => Promise<void>): Promise<void> {
    const next = app.queue.then(fn, fn).catch((error: unknown) => {
      this.violations.push(`simulator error on ${app.key}: ${error instanceof Error ? error.message : String(error)}`);
    });
    app.queue = next;
    return next;
  }

  private async resolve(repo: string, revision: string): Promise<string | undefined> {
    return resolveRevision(repo, revision);
  }

  /** Records a change: new resourceVersion, self-check, event to watchers. */
  private bump(app: SimApp, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): void {
    if (!this.apps.has(app.key)) return;
    this.resourceVersion += 1;
    app.obj.metadata.resourceVersion = String(this.resourceVersion);
    app.snapshot = clone(app.obj);
    app.treeResources = clone((app.obj.status.resources as Json[] | undefined) ?? []);
    if (this.options.appsWithoutResourceHealth === true) {
      for (const resource of (app.snapshot.status.resources as Json[] | undefined) ?? []) delete resource.health;
    }
    this.check('v1alpha1Application', app.snapshot, `state of ${app.key}`);
    this.broadcast(type, app.snapshot);
  }

  private check(definition: string, value: unknown, what: string): void {
    const errors = this.validators.definition(definition, value);
    if (definition === 'v1alpha1Application') errors.push(...this.validators.application(value));
    for (const error of errors) this.violations.push(`${what}: ${error}`);
  }

  /** Compares the target (branch tips) with what is deployed; auto-syncs when told to. */
  private async reconcile(app: SimApp): Promise<void> {
    if (app.def.stuck === true || !this.apps.has(app.key)) return;
    const revisions = await Promise.all(app.sources.map((source) => this.resolve(source.repo, source.targetRevision)));
    const status = app.obj.status;
    if (revisions.some((revision) => revision === undefined)) {
      status.conditions = [{ type: 'ComparisonError', message: `Unable to resolve '${app.sources[0]!.targetRevision}' to a commit SHA`, lastTransitionTime: now() }];
      status.sync = { status: 'Unknown' };
    } else {
      app.target = revisions as string[];
      delete status.conditions;
      this.setSync(app);
    }
    status.reconciledAt = now();
    const annotations = app.obj.metadata.annotations as Record<string, string> | undefined;
    if (annotations !== undefined) {
      delete annotations['argocd.argoproj.io/refresh'];
      if (Object.keys(annotations).length === 0) delete app.obj.metadata.annotations;
    }
    const automated = (app.obj.spec.syncPolicy as Json | undefined)?.automated as Json | undefined;
    const outOfSync = (status.sync as Json).status === 'OutOfSync';
    if (automated !== undefined && automated.enabled !== false && outOfSync && app.obj.operation === undefined && !this.operationRunning(app)) {
      if (app.target[0] !== app.lastFailedRevision) {
        this.requestOperation(app, {
          sync: { ...(app.multiSource ? { revisions: [...app.target] } : { revision: app.target[0] }), prune: true, syncOptions: ['CreateNamespace=true'] },
          initiatedBy: { automated: true },
          retry: { limit: 5 },
        });
      }
    }
    this.bump(app);
    for (const waiter of app.refreshWaiters.splice(0)) waiter();
  }

  private setSync(app: SimApp): void {
    const synced = app.deployed !== undefined && app.deployed.revisions.every((revision, index) => revision === app.target[index]);
    const comparedTo: Json = {
      destination: app.obj.spec.destination,
      ...(app.multiSource ? { sources: app.obj.spec.sources } : { source: app.obj.spec.source }),
    };
    app.obj.status.sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      ...(app.multiSource ? { revisions: [...app.target] } : { revision: app.target[0] }),
      comparedTo,
    };
  }

  private operationRunning(app: SimApp): boolean {
    const phase = (app.obj.status.operationState as Json | undefined)?.phase;
    return phase === 'Running' || phase === 'Terminating';
  }

  /** Sets `operation` (as the API server does) and lets the controller pick it up. */
  private requestOperation(app: SimApp, operation: Json): void {
    app.obj.operation = operation;
    delete app.obj.status.operationState;
    this.later(() => void this.enqueue(app, () => this.beginOperation(app)), this.options.operationStartMs ?? 10, app);
  }

  private async beginOperation(app: SimApp): Promise<void> {
    const operation = app.obj.operation;
    if (operation === undefined) return;
    app.obj.status.operationState = { operation: clone(operation), phase: 'Running', message: 'syncing', startedAt: now() };
    this.bump(app);
    app.operationTimer = this.later(() => void this.enqueue(app, () => this.finishOperation(app)), this.options.syncDurationMs ?? 50, app);
  }

  private async finishOperation(app: SimApp): Promise<void> {
    const state = app.obj.status.operationState as Json | undefined;
    if (state === undefined || state.phase !== 'Running') return;
    const operation = state.operation as Json;
    const sync = operation.sync as Json;
    const revisions = app.multiSource ? ((sync.revisions as string[] | undefined) ?? app.target) : [(sync.revision as string | undefined) ?? app.target[0]!];
    const files = await this.filesOf(app, revisions);
    const rendered = render(files, app.obj.spec.destination ? String((app.obj.spec.destination as Json).namespace) : 'default', app.def.name);
    const failure = rendered.modelVersion === undefined ? undefined : this.syncFails.get(rendered.modelVersion);
    const finishedAt = now();
    const resources = rendered.resources.map((resource) => ({
      group: resource.group,
      version: resource.version,
      kind: resource.kind,
      namespace: resource.namespace,
      name: resource.name,
      status: failure === undefined ? 'Synced' : 'SyncFailed',
      message: failure === undefined ? `${resource.kind.toLowerCase()}/${resource.name} configured` : failure,
      hookPhase: failure === undefined ? 'Succeeded' : 'Failed',
      syncPhase: 'Sync',
    }));
    // `revision` has no omitempty in the Go type: multi-source results carry it empty.
    const syncResult: Json = {
      ...(app.multiSource ? { revision: '', revisions, sources: app.obj.spec.sources } : { revision: revisions[0], source: app.obj.spec.source }),
      resources,
    };
    delete app.obj.operation;
    if (failure !== undefined) {
      app.lastFailedRevision = revisions[0];
      app.obj.status.operationState = { ...state, phase: 'Failed', message: `one or more objects failed to apply, reason: ${failure}`, finishedAt, syncResult };
      this.bump(app);
      return;
    }
    const partial = Array.isArray(sync.resources) && sync.resources.length > 0;
    const dryRun = sync.dryRun === true;
    app.obj.status.operationState = { ...state, phase: 'Succeeded', message: 'successfully synced (all tasks run)', finishedAt, syncResult };
    if (!dryRun) {
      await this.deploy(app, revisions, operation.initiatedBy as Json, finishedAt, false);
      if (!partial) this.recordHistory(app, revisions, operation, String(state.startedAt), finishedAt);
      // The controller compares with the latest target after an operation (CompareWithLatest).
      const targets = await Promise.all(app.sources.map((source) => this.resolve(source.repo, source.targetRevision)));
      if (targets.every((target): target is string => target !== undefined)) app.target = targets;
      this.setSync(app);
      app.obj.status.health = { status: 'Progressing', lastTransitionTime: finishedAt };
      this.setResources(app, { status: 'Progressing', message: 'Waiting for rollout to finish: 0 of 1 updated replicas are available...' });
    }
    app.obj.status.reconciledAt = now();
    this.bump(app);
    if (!dryRun) this.later(() => void this.enqueue(app, () => this.settleHealth(app)), this.options.progressingMs ?? 100, app);
  }

  private recordHistory(app: SimApp, revisions: string[], operation: Json, startedAt: string, deployedAt: string): void {
    const history = app.obj.status.history as Json[];
    history.push({
      id: app.nextHistoryId,
      ...(app.multiSource ? { revisions, sources: app.obj.spec.sources } : { revision: revisions[0], source: app.obj.spec.source }),
      deployStartedAt: startedAt,
      deployedAt,
      initiatedBy: operation.initiatedBy,
    });
    app.nextHistoryId += 1;
    const limit = app.def.revisionHistoryLimit ?? 10;
    while (history.length > limit) history.shift();
  }

  private async filesOf(app: SimApp, revisions: readonly string[]): Promise<Map<string, string>> {
    const all = new Map<string, string>();
    for (const [index, source] of app.sources.entries()) {
      const revision = revisions[index];
      if (revision === undefined) continue;
      for (const [name, text] of await filesAt(source.repo, revision, source.path)) all.set(`${index}:${name}`, text);
    }
    return all;
  }

  /** Makes `revisions` the running state (without an operation for the initial state). */
  private async deploy(app: SimApp, revisions: string[], initiatedBy: Json, at: string, initial = true): Promise<void> {
    const files = await this.filesOf(app, revisions);
    const rendered = render(files, String((app.obj.spec.destination as Json).namespace), app.def.name);
    app.deployed = { revisions, modelName: rendered.modelName, modelVersion: rendered.modelVersion, rendered };
    if (initial) {
      this.recordHistory(app, revisions, { initiatedBy }, at, at);
      app.obj.status.operationState = {
        operation: { sync: app.multiSource ? { revisions } : { revision: revisions[0] }, initiatedBy },
        phase: 'Succeeded',
        message: 'successfully synced (all tasks run)',
        startedAt: at,
        finishedAt: at,
        syncResult: app.multiSource ? { revision: '', revisions, sources: app.obj.spec.sources, resources: [] } : { revision: revisions[0], source: app.obj.spec.source, resources: [] },
      };
      app.obj.status.reconciledAt = at;
    }
  }

  private verdict(app: SimApp): HealthVerdict {
    const deployed = app.deployed;
    if (deployed === undefined) return { status: 'Missing' };
    const input = { app: app.def.name, revision: deployed.revisions[0] ?? '', modelName: deployed.modelName, modelVersion: deployed.modelVersion, rendered: deployed.rendered };
    for (const rule of this.healthRules) {
      const verdict = rule(input);
      if (verdict !== undefined) return verdict;
    }
    const version = deployed.modelVersion;
    if (version !== undefined && this.bad.has(version)) return { status: 'Degraded', message: this.bad.get(version) };
    if (version !== undefined && this.aborted.has(version) && workload(deployed.rendered.resources)?.kind === 'Rollout') {
      // The Rollout's revision counts its pod template changes: one per deployment of the app here.
      return { status: 'Degraded', message: `RolloutAborted: Rollout aborted update to revision ${app.nextHistoryId}: ${this.aborted.get(version)}` };
    }
    if (version !== undefined && this.suspended.has(version)) return { status: 'Suspended', message: this.suspended.get(version) };
    for (const document of deployed.rendered.documents) {
      const record = document as { kind?: unknown; spec?: { paused?: unknown } };
      if (record.kind === 'Rollout' && record.spec?.paused === true) return { status: 'Suspended', message: 'Rollout is paused' };
    }
    return { status: 'Healthy' };
  }

  private setResources(app: SimApp, workloadHealth: { status: HealthStatus; message?: string | undefined }): void {
    const rendered = app.deployed?.rendered;
    const main = rendered === undefined ? undefined : workload(rendered.resources);
    const resources: Json[] = (rendered?.resources ?? []).map((resource) => ({
      group: resource.group,
      version: resource.version,
      kind: resource.kind,
      namespace: resource.namespace,
      name: resource.name,
      status: 'Synced',
      health: resource === main ? { status: workloadHealth.status, ...(workloadHealth.message === undefined ? {} : { message: workloadHealth.message }) } : { status: 'Healthy' },
    }));
    for (const child of app.def.children ?? []) {
      resources.push({ group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', namespace: app.obj.metadata.namespace, name: child, status: 'Synced' });
    }
    app.obj.status.resources = resources;
  }

  private async settleHealth(app: SimApp, bump = true): Promise<void> {
    const verdict = this.verdict(app);
    const previous = (app.obj.status.health as Json | undefined)?.status;
    app.obj.status.health = { status: verdict.status, lastTransitionTime: previous === verdict.status ? ((app.obj.status.health as Json).lastTransitionTime as string) : now() };
    this.setResources(app, verdict);
    app.obj.status.reconciledAt = now();
    if (bump) this.bump(app);
  }

  private reevaluate(): void {
    for (const app of this.apps.values()) {
      if (app.deployed === undefined || (app.obj.status.health as Json).status === 'Progressing') continue;
      void this.enqueue(app, () => this.settleHealth(app));
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The API server
  // ---------------------------------------------------------------------------------------------------------------

  private broadcast(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: AppObject): void {
    for (const listener of this.listeners) listener(type, obj);
    for (const watcher of this.watchers) if (watcher.matches(obj)) watcher.write(type, obj);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const record: RequestRecord = {
      method,
      route: `${method} ${url.pathname}`,
      path: url.pathname,
      query: splitQuery(url.searchParams),
      status: 0,
      headers: { ...req.headers, ...(req.headers.authorization === undefined ? {} : { authorization: '<redacted>' }) },
    };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    res.on('close', () => (record.status ||= res.statusCode));
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(''));
    });
    try {
      if (url.pathname === '/metrics' && method === 'GET') {
        record.route = 'GET /metrics';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.metricsText());
        return;
      }
      if (!url.pathname.startsWith(`${this.basePath}/api/`)) {
        // The server answers every other path with the web UI.
        record.route = `${method} <ui>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html lang="en"><head><title>Argo CD</title></head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id="app"></div></body></html>');
        return;
      }
      await this.route(method, url.pathname.slice(this.basePath.length), url.searchParams, body, req, res, record);
    } catch (error) {
      if (error instanceof ApiError) this.sendError(res, error, record);
      else {
        this.violations.push(`simulator bug on ${record.route}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.sendError(res, new ApiError(500, GRPC.Internal, 'simulator bug'), record);
      }
    }
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown, definition: string, record: RequestRecord): void {
    this.check(definition, body, `response of ${record.route}`);
    if (definition === 'v1alpha1ApplicationList') for (const item of (body as { items: unknown[] }).items) this.check('v1alpha1Application', item, `response of ${record.route}`);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private sendError(res: http.ServerResponse, error: ApiError, record: RequestRecord): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.sendJson(res, error.status, { error: error.message, code: error.code, message: error.message, details: [] }, 'runtimeError', record);
  }

  private refuse(record: RequestRecord, why: string): void {
    this.violations.push(`${record.route}: ${why}`);
  }

  private authenticate(req: http.IncomingMessage): string {
    const header = req.headers.authorization;
    const cookie = /(?:^|;\s*)argocd\.token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const token = header?.startsWith('Bearer ') === true ? header.slice(7) : cookie;
    if (token === undefined || token === '') throw new ApiError(401, GRPC.Unauthenticated, 'no session information');
    const subject = this.tokens.get(token);
    if (subject === undefined) throw new ApiError(401, GRPC.Unauthenticated, 'invalid session: token signature is invalid');
    return subject;
  }

  private parseBody(body: string, definition: string, record: RequestRecord): Json {
    let value: unknown;
    try {
      value = body.trim() === '' ? {} : JSON.parse(body);
    } catch (error) {
      this.refuse(record, `body is not JSON`);
      throw new ApiError(400, GRPC.InvalidArgument, `invalid character in request body: ${error instanceof Error ? error.message : ''}`);
    }
    const errors = this.validators.definition(definition, value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) errors.push(`${definition} must be an object`);
    if (errors.length > 0) {
      this.refuse(record, errors.join('; '));
      throw new ApiError(400, GRPC.InvalidArgument, `json: cannot unmarshal request body: ${errors.join('; ')}`);
    }
    return value as Json;
  }

  /** Finds the app of a request: 403 when missing or not permitted (404 only when a project is given). */
  private lookup(name: string, query: URLSearchParams): SimApp {
    const namespace = query.get('appNamespace') || CONTROL_PLANE_NAMESPACE;
    const project = query.get('project') || query.getAll('projects')[0];
    const app = this.apps.get(`${namespace}/${name}`);
    if (app?.snapshot === undefined || (project !== undefined && app.obj.spec.project !== project)) {
      if (project !== undefined && project !== '') throw new ApiError(404, GRPC.NotFound, `applications.argoproj.io "${name}" not found`);
      throw new ApiError(403, GRPC.PermissionDenied, 'permission denied');
    }
    return app;
  }

  private matcher(query: URLSearchParams): (app: AppObject) => boolean {
    const name = query.get('name') || undefined;
    const selector = query.get('selector') || undefined;
    const projects = [...query.getAll('projects'), ...query.getAll('project')].filter((project) => project !== '');
    const namespace = query.get('appNamespace') || undefined;
    let labels: (labels: Record<string, string>) => boolean = () => true;
    if (selector !== undefined) {
      try {
        labels = parseSelector(selector);
      } catch (error) {
        throw new ApiError(400, GRPC.InvalidArgument, `error parsing the selector: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return (app) =>
      (name === undefined || app.metadata.name === name) &&
      (namespace === undefined ? name === undefined || app.metadata.namespace === CONTROL_PLANE_NAMESPACE : app.metadata.namespace === namespace) &&
      (projects.length === 0 || projects.includes(String(app.spec.project))) &&
      labels(app.metadata.labels ?? {});
  }

  private async route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RequestRecord,
  ): Promise<void> {
    if (method !== 'GET' && req.headers['content-type'] !== 'application/json') {
      record.route = `${method} ${path}`;
      this.refuse(record, `Content-Type ${JSON.stringify(req.headers['content-type'] ?? null)} is not exactly application/json`);
      res.writeHead(415, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Invalid content type');
      return;
    }
    const appPath = /^\/api\/v1\/applications\/([^/]+)(\/[a-z-]+)?$/.exec(path);
    const name = appPath === null ? undefined : decodeURIComponent(appPath[1]!);
    const sub = appPath?.[2] ?? '';

    if (method === 'GET' && path === '/api/version') {
      record.route = 'GET /api/version';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Version: 'v3.1.0+simulator' }));
      return;
    }
    if (method === 'POST' && path === '/api/v1/session') {
      record.route = 'POST /api/v1/session';
      const request = this.parseBody(body, 'sessionSessionCreateRequest', record);
      if (typeof request.token === 'string' && request.token !== '') throw new ApiError(401, GRPC.Unauthenticated, 'invalid session: token signature is invalid');
      const username = String(request.username ?? '');
      if (username === '' || this.users[username] === undefined || this.users[username] !== request.password) {
        throw new ApiError(401, GRPC.Unauthenticated, 'Invalid username or password');
      }
      const token = `session-${randomUUID()}`;
      this.tokens.set(token, username);
      this.sendJson(res, 200, { token }, 'sessionSessionResponse', record);
      return;
    }

    if (method === 'GET' && path === '/api/v1/applications') {
      record.route = 'GET /api/v1/applications';
      this.authenticate(req);
      const matches = this.matcher(query);
      const items = [...this.apps.values()].flatMap((app) => (app.snapshot === undefined ? [] : [app.snapshot])).filter(matches).map(clone);
      this.sendJson(res, 200, { metadata: { resourceVersion: String(this.resourceVersion) }, items }, 'v1alpha1ApplicationList', record);
      return;
    }
    if (method === 'GET' && path === '/api/v1/stream/applications') {
      record.route = 'GET /api/v1/stream/applications';
      this.authenticate(req);
      this.watch(query, req, res);
      return;
    }
    if (name === undefined) {
      record.route = `${method} ${path}`;
      throw new ApiError(404, GRPC.NotFound, 'Not Found');
    }

    if (method === 'GET' && sub === '') {
      record.route = 'GET /api/v1/applications/{name}';
      this.authenticate(req);
      const app = this.lookup(name, query);
      const refresh = query.get('refresh');
      if (refresh !== null && refresh !== '') await this.refreshAndWait(app, refresh);
      this.sendJson(res, 200, clone(app.snapshot!), 'v1alpha1Application', record);
      return;
    }
    if (method === 'GET' && sub === '/resource-tree') {
      record.route = 'GET /api/v1/applications/{name}/resource-tree';
      this.authenticate(req);
      this.sendJson(res, 200, this.resourceTree(this.lookup(name, query)), 'v1alpha1ApplicationTree', record);
      return;
    }
    if (method === 'POST' && sub === '/sync') {
      record.route = 'POST /api/v1/applications/{name}/sync';
      const subject = this.authenticate(req);
      const request = this.parseBody(body, 'applicationApplicationSyncRequest', record);
      const app = this.lookup(name, this.bodyScope(request));
      await this.sync(app, request, subject);
      this.sendJson(res, 200, clone(app.snapshot!), 'v1alpha1Application', record);
      return;
    }
    if (method === 'POST' && sub === '/rollback') {
      record.route = 'POST /api/v1/applications/{name}/rollback';
      const subject = this.authenticate(req);
      const request = this.parseBody(body, 'applicationApplicationRollbackRequest', record);
      if (request.id === undefined) {
        this.refuse(record, 'rollback without id');
        throw new ApiError(500, GRPC.Internal, 'grpc: error while marshaling: proto: required field "id" not set');
      }
      const app = this.lookup(name, this.bodyScope(request));
      this.rollback(app, request, subject);
      this.sendJson(res, 200, clone(app.snapshot!), 'v1alpha1Application', record);
      return;
    }
    if (method === 'DELETE' && sub === '/operation') {
      record.route = 'DELETE /api/v1/applications/{name}/operation';
      this.authenticate(req);
      const app = this.lookup(name, query);
      this.terminate(app);
      this.sendJson(res, 200, {}, 'applicationOperationTerminateResponse', record);
      return;
    }
    if (method === 'PATCH' && sub === '') {
      record.route = 'PATCH /api/v1/applications/{name}';
      this.authenticate(req);
      const request = this.parseBody(body, 'applicationApplicationPatchRequest', record);
      const app = this.lookup(name, this.bodyScope(request));
      this.patch(app, request, record);
      this.sendJson(res, 200, clone(app.snapshot!), 'v1alpha1Application', record);
      return;
    }
    record.route = `${method} ${path}`;
    throw new ApiError(404, GRPC.NotFound, 'Not Found');
  }

  private bodyScope(request: Json): URLSearchParams {
    const scope = new URLSearchParams();
    if (typeof request.appNamespace === 'string' && request.appNamespace !== '') scope.set('appNamespace', request.appNamespace);
    if (typeof request.project === 'string' && request.project !== '') scope.set('project', request.project);
    return scope;
  }

  private refreshAndWait(app: SimApp, refresh: string): Promise<void> {
    app.obj.metadata.annotations = { ...(app.obj.metadata.annotations as Record<string, string> | undefined), 'argocd.argoproj.io/refresh': refresh === 'hard' ? 'hard' : 'normal' };
    this.bump(app);
    return new Promise<void>((resolve, reject) => {
      const deadline = this.later(() => {
        app.refreshWaiters.splice(app.refreshWaiters.indexOf(done), 1);
        reject(new ApiError(500, GRPC.Unknown, 'application refresh deadline exceeded'));
      }, this.options.refreshDeadlineMs ?? 60_000, app);
      const done = (): void => {
        clearTimeout(deadline);
        app.timers.delete(deadline);
        resolve();
      };
      app.refreshWaiters.push(done);
      if (app.def.stuck !== true) this.later(() => void this.enqueue(app, () => this.reconcile(app)), this.options.refreshDelayMs ?? 20, app);
    });
  }

  private async sync(app: SimApp, request: Json, subject: string): Promise<void> {
    if (app.obj.operation !== undefined || this.operationRunning(app)) {
      throw new ApiError(400, GRPC.FailedPrecondition, 'another operation is already in progress');
    }
    if (app.def.syncWindowBlocked === true) throw new ApiError(403, GRPC.PermissionDenied, 'cannot sync: blocked by sync window');
    const automated = (app.obj.spec.syncPolicy as Json | undefined)?.automated as Json | undefined;
    const source = app.sources[0]!;
    const revision = typeof request.revision === 'string' ? request.revision : '';
    if (automated !== undefined && automated.enabled !== false && request.dryRun !== true && revision !== '' && revision !== (source.targetRevision || 'HEAD')) {
      throw new ApiError(400, GRPC.FailedPrecondition, `Cannot sync to ${revision}: auto-sync currently set to ${source.targetRevision}`);
    }
    let revisions: string[];
    if (app.multiSource) {
      const positions = (request.sourcePositions as number[] | undefined) ?? [];
      const wanted = (request.revisions as string[] | undefined) ?? [];
      if (positions.length !== wanted.length) throw new ApiError(400, GRPC.InvalidArgument, 'the number of revisions and source positions must match');
      revisions = [];
      for (const [index, item] of app.sources.entries()) {
        const at = positions.indexOf(index + 1);
        const resolved = await this.resolve(item.repo, at === -1 ? item.targetRevision : wanted[at]!);
        if (resolved === undefined) throw new ApiError(400, GRPC.InvalidArgument, `unable to resolve '${at === -1 ? item.targetRevision : wanted[at]}' to a commit SHA`);
        revisions.push(resolved);
      }
    } else {
      const wanted = revision === '' ? source.targetRevision : revision;
      const resolved = await this.resolve(source.repo, wanted);
      if (resolved === undefined) throw new ApiError(400, GRPC.InvalidArgument, `unable to resolve '${wanted}' to a commit SHA`);
      revisions = [resolved];
    }
    const syncOptions = (request.syncOptions as Json | undefined)?.items as string[] | undefined;
    const operation: Json = {
      sync: {
        ...(app.multiSource ? { revisions, sources: app.obj.spec.sources } : { revision: revisions[0] }),
        ...(request.prune === true ? { prune: true } : {}),
        ...(request.dryRun === true ? { dryRun: true } : {}),
        ...(request.strategy === undefined ? {} : { syncStrategy: request.strategy }),
        ...(request.resources === undefined ? {} : { resources: request.resources }),
        syncOptions: syncOptions ?? ((app.obj.spec.syncPolicy as Json | undefined)?.syncOptions as string[] | undefined) ?? [],
      },
      initiatedBy: { username: subject },
      ...(request.infos === undefined ? {} : { info: request.infos }),
      ...(request.retryStrategy === undefined ? {} : { retry: request.retryStrategy }),
    };
    app.lastFailedRevision = undefined;
    this.requestOperation(app, operation);
    this.bump(app);
  }

  private rollback(app: SimApp, request: Json, subject: string): void {
    const automated = (app.obj.spec.syncPolicy as Json | undefined)?.automated as Json | undefined;
    if (automated !== undefined && automated.enabled !== false) {
      throw new ApiError(400, GRPC.FailedPrecondition, 'rollback cannot be initiated when auto-sync is enabled');
    }
    // As the server (server/application/application.go): auto-sync, then the history id, then the running operation.
    const entry = (app.obj.status.history as Json[]).find((item) => item.id === request.id);
    if (entry === undefined) throw new ApiError(400, GRPC.InvalidArgument, `application ${app.def.name} does not have deployment with id ${String(request.id)}`);
    if (app.obj.operation !== undefined || this.operationRunning(app)) {
      throw new ApiError(400, GRPC.FailedPrecondition, 'another operation is already in progress');
    }
    this.requestOperation(app, {
      sync: {
        ...(app.multiSource ? { revisions: entry.revisions, sources: entry.sources } : { revision: entry.revision, source: entry.source }),
        ...(request.prune === true ? { prune: true } : {}),
        ...(request.dryRun === true ? { dryRun: true } : {}),
        syncStrategy: { apply: {} },
      },
      initiatedBy: { username: subject },
    });
    this.bump(app);
  }

  private terminate(app: SimApp): void {
    const state = app.obj.status.operationState as Json | undefined;
    // As the server: an operation requested but not yet picked up by the controller cannot be terminated either.
    if (app.obj.operation === undefined || state === undefined) {
      throw new ApiError(400, GRPC.InvalidArgument, 'Unable to terminate operation. No operation is in progress');
    }
    if (app.operationTimer !== undefined) clearTimeout(app.operationTimer);
    app.obj.status.operationState = { ...state, phase: 'Terminating' };
    this.bump(app);
    this.later(
      () =>
        void this.enqueue(app, async () => {
          delete app.obj.operation;
          app.obj.status.operationState = { ...(app.obj.status.operationState as Json), phase: 'Failed', message: 'Operation terminated', finishedAt: now() };
          this.bump(app);
        }),
      this.options.operationStartMs ?? 10,
      app,
    );
  }

  private patch(app: SimApp, request: Json, record: RequestRecord): void {
    if (request.patchType !== 'merge') {
      this.refuse(record, `patchType ${String(request.patchType)} is not simulated (only merge)`);
      throw new ApiError(400, GRPC.InvalidArgument, `Patch type '${String(request.patchType ?? 'json')}' is not supported by the simulator`);
    }
    let patch: unknown;
    try {
      patch = JSON.parse(String(request.patch));
    } catch {
      throw new ApiError(400, GRPC.InvalidArgument, 'error unmarshaling patch: invalid JSON');
    }
    const merge = (target: Json, change: Json): void => {
      for (const [key, value] of Object.entries(change)) {
        if (value === null) delete target[key];
        else if (typeof value === 'object' && !Array.isArray(value) && typeof target[key] === 'object' && target[key] !== null) merge(target[key] as Json, value as Json);
        else target[key] = clone(value);
      }
    };
    const spec = (patch as Json).spec;
    if (typeof spec === 'object' && spec !== null) merge(app.obj.spec, spec as Json);
    const labels = ((patch as Json).metadata as Json | undefined)?.labels;
    if (typeof labels === 'object' && labels !== null) merge((app.obj.metadata.labels ??= {}) as Json, labels as Json);
    app.obj.metadata.generation = Number(app.obj.metadata.generation) + 1;
    this.bump(app);
  }

  private resourceTree(app: SimApp): Json {
    return {
      nodes: app.treeResources.map((resource) => ({
        group: resource.group,
        version: resource.version,
        kind: resource.kind,
        namespace: resource.namespace,
        name: resource.name,
        uid: randomUUID(),
        resourceVersion: String(this.resourceVersion),
        ...(resource.health === undefined ? {} : { health: resource.health }),
        createdAt: app.obj.metadata.creationTimestamp,
      })),
      orphanedNodes: [],
      hosts: [],
    };
  }

  private watch(query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const matches = this.matcher(query);
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const watcher: Watcher = {
      sse,
      matches,
      lastSent: new Map(),
      response: res,
      write: (type, app) => {
        const key = `${app.metadata.namespace}/${app.metadata.name}`;
        // Identical repeats are dropped.
        if (this.silent || (type !== 'DELETED' && watcher.lastSent.get(key) === app.metadata.resourceVersion)) return;
        watcher.lastSent.set(key, app.metadata.resourceVersion);
        const event = { result: { type, application: app } };
        this.check('v1alpha1ApplicationWatchEvent', event.result, 'watch event');
        const line = JSON.stringify(event);
        res.write(sse ? `data: ${line}\n\n` : `${line}\n`);
      },
    };
    this.watchers.add(watcher);
    this.openStreams += 1;
    this.streamsOpened += 1;
    const keepalive = sse ? setInterval(() => res.write(':\n\n'), this.options.keepaliveMs ?? 15_000) : undefined;
    const done = (): void => {
      if (!this.watchers.delete(watcher)) return;
      this.openStreams -= 1;
      if (keepalive !== undefined) clearInterval(keepalive);
    };
    res.on('close', done);
    req.on('close', done);
    // A named watch, or one without a resourceVersion, starts with the current state as ADDED.
    const resourceVersion = query.get('resourceVersion');
    if (resourceVersion === null || resourceVersion === '' || query.get('name')) {
      for (const app of this.apps.values()) if (app.snapshot !== undefined && matches(app.snapshot)) watcher.write('ADDED', app.snapshot);
    }
  }
}

/** Starts a simulator; `close()` it when done. */
export async function startArgoCdSimulator(options: ArgoCdSimulatorOptions = {}): Promise<ArgoCdSimulator> {
  return new ArgoCdSimulator(options).start();
}

/** Whether `descendant` contains `ancestor` in `repo` (for tests that check "a newer revision that contains ours"). */
export { isAncestor };
