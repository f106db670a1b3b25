/**
 * The model registry, as every command sees it. Two implementations: MLflow (REST, `http(s)://`) and the embedded
 * file registry (`file://<dir>` or a relative directory). `register-model` creates versions; `evaluate-model` reads a
 * champion's metrics; `open-promotion-pr` and `rollback` move aliases and tag versions.
 */

export type VersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  name: string;
  /** Versions are whole numbers, kept as strings as MLflow sends them. */
  version: string;
  source: string;
  runId: string | undefined;
  modelId: string | undefined;
  status: VersionStatus;
  statusMessage: string | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  aliases: string[];
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface CreateVersionRequest {
  name: string;
  source: string;
  runId?: string | undefined;
  modelId?: string | undefined;
  description?: string | undefined;
  runLink?: string | undefined;
  tags: Record<string, string>;
  /**
   * Tag key and value that identify this registration. Creation first looks for a version carrying it and reuses it,
   * and does so again after any failure whose outcome is unknown, so a retried or re-run registration never makes two
   * versions.
   */
  idempotencyKey: { tag: string; value: string };
}

export interface CreateVersionResult {
  version: ModelVersion;
  /** false when an existing version with the same idempotency tag was reused. */
  created: boolean;
}

export interface ModelRegistry {
  /** A human-readable name for messages: the server URL (without credentials) or the directory. */
  readonly location: string;
  /** Creates the registered model when missing; an existing model is success. */
  ensureModel(name: string, description?: string): Promise<void>;
  getVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  /** All versions of a model, newest first. */
  listVersions(name: string): Promise<ModelVersion[]>;
  findVersionByTag(name: string, tag: string, value: string): Promise<ModelVersion | undefined>;
  createVersion(request: CreateVersionRequest): Promise<CreateVersionResult>;
  setTags(name: string, version: string, tags: Record<string, string>): Promise<void>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  getAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  deleteAlias(name: string, alias: string): Promise<void>;
  /** The metrics of the version's run (latest value per key), merged under any `metric.<key>` tags of the version. */
  getVersionMetrics(name: string, version: string): Promise<Record<string, number>>;
  /** A link to the version in the registry's UI, when it has one. */
  versionUrl(name: string, version: string): string | undefined;
}
