/**
 * Argo CD's own rollback (`POST …/rollback` with a `status.history[].id`), for `rollback` with `argocd-rollback: true`:
 * find the history entry that deployed a revision, refuse clearly when auto-sync would undo it, and start it. The wait
 * afterwards is `waitForApplications` with the entry's revision.
 */
import { UserError } from '../errors.ts';
import type { ArgoCdClient, AppScope } from './client.ts';
import { isArgoCdError } from './errors.ts';
import { isAutoSyncEnabled, type Application, type RevisionHistory } from './types.ts';

/** Why Argo CD's rollback and auto-sync do not mix, in one sentence (for messages and docs). */
export const AUTO_SYNC_TRAP =
  'Argo CD refuses a rollback while auto-sync is on, and turning auto-sync off by hand only lasts until a parent app or ApplicationSet turns it back on and redeploys the bad commit, so with auto-sync roll back in git (the default) instead.';

/** The newest history entry that deployed `revision` (a full or abbreviated SHA; every source of a multi-source entry counts). */
export function findHistoryEntry(app: Application, revision: string): RevisionHistory | undefined {
  const matches = (candidate: string | undefined): boolean =>
    candidate !== undefined && candidate !== '' && (candidate === revision || (revision.length >= 7 && candidate.startsWith(revision)));
  const history = app.status?.history ?? [];
  for (let index = history.length - 1; index >= 0; index--) {
    const entry = history[index] as RevisionHistory;
    if (matches(entry.revision) || (entry.revisions ?? []).some(matches)) return entry;
  }
  return undefined;
}

export interface ArgoRollbackResult {
  /** The history entry rolled back to. */
  id: number;
  /** Its revision (the first source's for multi-source apps). */
  revision: string | undefined;
  /** The application as the rollback request answered it (with `operation` set). */
  app: Application;
}

/**
 * Rolls `name` back to the history entry that deployed `revision`. A UserError when auto-sync is on (AUTO_SYNC_TRAP),
 * when no entry ran that revision (the history keeps `revisionHistoryLimit` entries, 10 by default), or when Argo CD
 * refuses (another operation in progress, a sync window).
 */
export async function rollbackToRevision(client: ArgoCdClient, name: string, revision: string, scope: AppScope & { prune?: boolean } = {}): Promise<ArgoRollbackResult> {
  const app = await client.get(name, scope);
  if (isAutoSyncEnabled(app)) {
    throw new UserError(`Argo CD application ${name} has auto-sync on, so it cannot be rolled back through Argo CD: ${AUTO_SYNC_TRAP}`);
  }
  const entry = findHistoryEntry(app, revision);
  if (entry === undefined) {
    const known = (app.status?.history ?? []).map((item) => `${item.id}: ${(item.revision ?? item.revisions?.[0] ?? '?').slice(0, 12)}`).join(', ');
    throw new UserError(
      `Argo CD application ${name} has no history entry that deployed ${revision.slice(0, 12)} (its history: ${known === '' ? 'empty' : known}); roll back in git instead, since Argo CD keeps only the last revisionHistoryLimit deployments.`,
    );
  }
  try {
    const answer = await client.rollback(name, { ...scope, id: entry.id, prune: scope.prune });
    return { id: entry.id, revision: entry.revision ?? entry.revisions?.[0], app: answer };
  } catch (error) {
    if (isArgoCdError(error, 'auto-sync-enabled')) {
      throw new UserError(`Argo CD application ${name} turned auto-sync on meanwhile, so it cannot be rolled back through Argo CD: ${AUTO_SYNC_TRAP}`, { cause: error });
    }
    throw error;
  }
}
