/** The simulator's inputs: applications as a test (or sim.json) declares them, and the health rules. */
import type { HealthStatus, Rendered } from './manifest.ts';

export interface SimSource {
  /** Path of a bare git repository on this machine. */
  repo: string;
  /** What `spec.source.repoURL` shows; default `file://<repo>`. */
  repoURL?: string;
  /** Directory inside the repository; default `.`. */
  path?: string;
  /** Branch (or tag) to follow; default `main`. */
  targetRevision?: string;
}

export interface SimAppDefinition extends Partial<SimSource> {
  name: string;
  /** The Application's namespace; default `argocd` (the control plane's). */
  namespace?: string;
  project?: string;
  labels?: Record<string, string>;
  /** Multi-source instead of repo/path/targetRevision. */
  sources?: SimSource[];
  /** `spec.syncPolicy.automated`; default true. */
  automated?: boolean;
  /** Deployed at the branch tip from the start (history entry 0); default true. False: it starts OutOfSync. */
  initiallySynced?: boolean;
  /** The app appears this long after the simulator starts (an ApplicationSet still creating it). */
  createAfterMs?: number;
  /** Owned by this ApplicationSet (`metadata.ownerReferences`). */
  applicationSet?: string;
  /** App-of-apps: the names of child Applications listed in `status.resources[]`. */
  children?: string[];
  /** The controller never processes a refresh: `?refresh=` fails with the refresh deadline, polls do nothing. */
  stuck?: boolean;
  /** Manual syncs are refused by a sync window. */
  syncWindowBlocked?: boolean;
  destinationNamespace?: string;
  /** `spec.revisionHistoryLimit`; default 10. */
  revisionHistoryLimit?: number;
}

export interface HealthInput {
  app: string;
  /** The deployed revision (the first source's for multi-source apps). */
  revision: string;
  modelName: string | undefined;
  modelVersion: string | undefined;
  rendered: Rendered;
}

export interface HealthVerdict {
  status: HealthStatus;
  /** Shown on the workload resource (`status.resources[].health.message`). */
  message?: string;
}

/** Decides the health of what a revision deploys; undefined leaves it to the next rule (finally Healthy). */
export type HealthRule = (input: HealthInput) => HealthVerdict | undefined;

/** model → version → metric → value, served at /metrics for the version each app runs. */
export type ModelMetrics = Record<string, Record<string, Record<string, number>>>;

export interface ArgoCdSimulatorOptions {
  /** Default 0 (a free port). */
  port?: number;
  host?: string;
  /** Serve the API under a root path (`--rootpath /argocd`). */
  basePath?: string;
  apps?: SimAppDefinition[];
  /** Bearer tokens accepted, with their subject; default `{ "sim-token": "admin" }`. */
  tokens?: Record<string, string>;
  /** Accounts for POST /api/v1/session; default `{ admin: "password" }`. */
  users?: Record<string, string>;
  /** The repository poll (default 180 000 ms, Argo CD's 3 minutes; tests use short). */
  pollIntervalMs?: number;
  /** How long the controller takes to process a refresh; default 20 ms. */
  refreshDelayMs?: number;
  /** A refresh not processed within this answers 500 "application refresh deadline exceeded"; default 60 000 ms. */
  refreshDeadlineMs?: number;
  /** From an operation being requested to Running; default 10 ms. */
  operationStartMs?: number;
  /** From Running to Succeeded/Failed; default 50 ms. */
  syncDurationMs?: number;
  /** From Succeeded (health Progressing) to the final health; default 100 ms. */
  progressingMs?: number;
  /** Keepalive comment period of text/event-stream watches; default 15 000 ms. */
  keepaliveMs?: number;
  /** Model versions whose deployment turns Degraded / Suspended / fails to sync, with a message. */
  bad?: Record<string, string>;
  suspended?: Record<string, string>;
  syncFails?: Record<string, string>;
  /** Model versions whose canary Rollout is aborted (Degraded), with the analysis message (see `markAborted`). */
  aborted?: Record<string, string>;
  healthRule?: HealthRule;
  metrics?: ModelMetrics;
  /**
   * Serve Applications (GET, list, watch) without `status.resources[].health`, as an API server whose resource tree
   * cache missed: since Argo CD 3.0 the controller stores resource health only in the tree and the API server fills it
   * in from its cache (`inferResourcesStatusHealth`; older servers did not on a refreshing GET, argo-cd #24832). The
   * resource tree still has it.
   */
  appsWithoutResourceHealth?: boolean;
}
