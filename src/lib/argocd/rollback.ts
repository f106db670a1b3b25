/**
 * Argo CD's own rollback (`POST …/rollback` with a `status.history[].id`), for `rollback` with `argocd-rollback: true`:
 * find the history entry that deployed what is wanted, recognise the auto-sync trap (Argo CD refuses a rollback while
 * auto-sync is on, and auto-sync would undo it), and start it. The wait afterwards is `waitForApplications` with the
 * entry's revision, `afterRollback` and `operationSince`.
 */
import { UserError } from '../errors.ts';
import type { ArgoCdClient, AppScope } from './client.ts';
import { isArgoCdError } from './errors.ts';
import { isAutoSyncEnabled, type Application, type RevisionHistory } from './types.ts';

/** Why Argo CD's rollback and auto-sync do not mix, in one sentence (for messages and docs). */
export const AUTO_SYNC_TRAP =
  'Argo CD refuses a rollback while auto-sync is on, and turning auto-sync off by hand only lasts until a parent app or ApplicationSet turns it back on and redeploys the bad commit, so with auto-sync roll back in git (the default) instead.';

/** Whether a history entry is the one wanted (it may read the entry's commit, hence a promise). */
export type HistoryMatch = (entry: RevisionHistory) => boolean | Promise<boolean>;

/** A matcher for the entries that deployed `revision` (a full or abbreviated SHA; every source of a multi-source entry counts). */
export function deployedRevision(revision: string): HistoryMatch {
  const matches = (candidate: string | undefined): boolean =>
    candidate !== undefined && candidate !== '' && (candidate === revision || (revision.length >= 7 && candidate.startsWith(revision)));
  return (entry) => matches(entry.revision) || (entry.revisions ?? []).some(matches);
}

/** The newest history entry that deployed `revision`. */
export function findHistoryEntry(app: Application, revision: string): RevisionHistory | undefined {
  const matches = deployedRevision(revision);
  return [...(app.status?.history ?? [])].reverse().find((entry) => matches(entry) as boolean);
}

/** `id: revision` of every history entry, oldest first, for messages. */
export function describeHistory(app: Application): string {
  const known = (app.status?.history ?? []).map((item) => `${item.id}: ${(item.revision ?? item.revisions?.[0] ?? '?').slice(0, 12)}`).join(', ');
  return known === '' ? 'empty' : known;
}

export interface ArgoRollbackResult {
  /** The history entry rolled back to. */
  id: number;
  /** Its revision (the first source's for multi-source apps). */
  revision: string | undefined;
  /** The application as the rollback request answered it (with `operation` set). */
  app: Application;
  /**
   * When the request was sent (ms since the epoch): only an operation started since then is the rollback's; undefined
   * when the entry was running already and nothing was requested.
   */
  requestedAt: number | undefined;
}

/** What an attempt at Argo CD's rollback came to: started, or why not (each a case the caller words or falls back on). */
export type ArgoRollbackAttempt =
  | ({ kind: 'started' } & ArgoRollbackResult & { requestedAt: number })
  | { kind: 'already'; id: number; revision: string | undefined; app: Application }
  | { kind: 'auto-sync'; app: Application }
  | { kind: 'no-entry'; app: Application };

/**
 * Rolls `name` back to the newest history entry `matches` accepts, unless that entry is the one running already,
 * auto-sync is on (before the request, or turned on meanwhile: Argo CD's 400) or no entry matches (the history keeps `revisionHistoryLimit` entries, 10 by
 * default). Other refusals (another operation in progress, a sync window) are thrown as ArgoCdErrors.
 */
export async function tryArgoRollback(client: ArgoCdClient, name: string, matches: HistoryMatch, scope: AppScope & { prune?: boolean } = {}): Promise<ArgoRollbackAttempt> {
  const app = await client.get(name, scope);
  if (isAutoSyncEnabled(app)) return { kind: 'auto-sync', app };
  const history = app.status?.history ?? [];
  let entry: RevisionHistory | undefined;
  for (const candidate of [...history].reverse()) {
    if (await matches(candidate)) {
      entry = candidate;
      break;
    }
  }
  if (entry === undefined) return { kind: 'no-entry', app };
  // The newest entry is what runs now (one is added after each sync): nothing to roll back, unless an operation is pending.
  if (entry === history[history.length - 1] && app.operation === undefined && !['Running', 'Terminating'].includes(app.status?.operationState?.phase ?? '')) {
    return { kind: 'already', id: entry.id, revision: entry.revision ?? entry.revisions?.[0], app };
  }
  const requestedAt = Date.now();
  try {
    const answer = await client.rollback(name, { ...scope, id: entry.id, prune: scope.prune });
    return { kind: 'started', id: entry.id, revision: entry.revision ?? entry.revisions?.[0], app: answer, requestedAt };
  } catch (error) {
    if (isArgoCdError(error, 'auto-sync-enabled')) return { kind: 'auto-sync', app };
    throw error;
  }
}

/**
 * Rolls `name` back to the history entry that deployed `revision`; a UserError when auto-sync is on (AUTO_SYNC_TRAP),
 * when no entry ran that revision, or when Argo CD refuses.
 */
export async function rollbackToRevision(client: ArgoCdClient, name: string, revision: string, scope: AppScope & { prune?: boolean } = {}): Promise<ArgoRollbackResult> {
  const attempt = await tryArgoRollback(client, name, deployedRevision(revision), scope);
  if (attempt.kind === 'auto-sync') {
    throw new UserError(`Argo CD application ${name} has auto-sync on, so it cannot be rolled back through Argo CD: ${AUTO_SYNC_TRAP}`);
  }
  if (attempt.kind === 'already') return { id: attempt.id, revision: attempt.revision, app: attempt.app, requestedAt: undefined };
  if (attempt.kind === 'no-entry') {
    throw new UserError(
      `Argo CD application ${name} has no history entry that deployed ${revision.slice(0, 12)} (its history: ${describeHistory(attempt.app)}); roll back in git instead, since Argo CD keeps only the last revisionHistoryLimit deployments.`,
    );
  }
  return { id: attempt.id, revision: attempt.revision, app: attempt.app, requestedAt: attempt.requestedAt };
}
