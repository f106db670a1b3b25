/**
 * The parts of Argo CD's Application (argoproj.io/v1alpha1) that ml-gitops reads, as the API server sends them.
 * Every field is optional on the wire; unknown fields are kept (the objects are passed through untouched).
 */

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

export interface ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  [key: string]: unknown;
}

export interface OperationInitiator {
  username?: string;
  automated?: boolean;
}

export interface Info {
  name: string;
  value: string;
}

export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  syncOptions?: string[];
  resources?: SyncResource[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  [key: string]: unknown;
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: OperationInitiator;
  info?: Info[];
  [key: string]: unknown;
}

export interface ResourceResult {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  message?: string;
  hookPhase?: string;
  syncPhase?: string;
}

export interface OperationState {
  operation?: Operation;
  phase?: OperationPhase | string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: { revision?: string; revisions?: string[]; resources?: ResourceResult[]; source?: ApplicationSource; sources?: ApplicationSource[] };
}

export interface HealthStatus {
  status?: HealthStatusCode | string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ResourceStatus {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  health?: HealthStatus;
}

export interface RevisionHistory {
  id: number;
  revision?: string;
  revisions?: string[];
  deployedAt?: string;
  deployStartedAt?: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  initiatedBy?: OperationInitiator;
}

export interface ApplicationCondition {
  type?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Application {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string; apiVersion?: string }[];
    [key: string]: unknown;
  };
  spec?: {
    project?: string;
    source?: ApplicationSource;
    sources?: ApplicationSource[];
    syncPolicy?: { automated?: { enabled?: boolean; prune?: boolean; selfHeal?: boolean } | null; syncOptions?: string[] };
    [key: string]: unknown;
  };
  operation?: Operation;
  status?: {
    sync?: { status?: SyncStatusCode | string; revision?: string; revisions?: string[] };
    health?: HealthStatus;
    operationState?: OperationState;
    reconciledAt?: string;
    conditions?: ApplicationCondition[];
    history?: RevisionHistory[];
    resources?: ResourceStatus[];
    [key: string]: unknown;
  };
}

export interface ResourceNode {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  health?: HealthStatus;
  parentRefs?: { group?: string; kind?: string; namespace?: string; name?: string }[];
  [key: string]: unknown;
}

export interface ApplicationTree {
  nodes?: ResourceNode[];
  orphanedNodes?: ResourceNode[];
  hosts?: unknown[];
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  application: Application;
}

export interface SyncResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** True when the app's sync policy is automated (set, and `enabled` not false: the field exists since 3.1). */
export function isAutoSyncEnabled(app: Application): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}
