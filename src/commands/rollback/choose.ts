/**
 * Which version a rollback puts back, and what it writes where: decided from the ledger alone (pure, so every rule is
 * testable without git).
 */
import { inputRef, UserError } from '../../lib/errors.ts';
import { defaultRollbackTarget, promotionOf, type LedgerEntry, type LedgerUpdate, type PromotionHistory } from '../../lib/ledger.ts';

export interface RollbackChoice {
  /** The version running now, taken out of service. */
  readonly from: string;
  /** The version put back. */
  readonly to: string;
  /** What to write: the target version's values at the places the ledger recorded. */
  readonly updates: readonly LedgerUpdate[];
  /** The ledger entry the values come from (the target's last promotion), when there is one. */
  readonly source: LedgerEntry | undefined;
}

export interface ChooseOptions {
  readonly modelName: string;
  readonly environment: string;
  readonly branch: string;
  /** The `to-version` input. */
  readonly toVersion: string | undefined;
  /** Roll back to a version the ledger never saw promoted there (values derived from the current entry's). */
  readonly force: boolean;
}

/** A value that names `from` (`13`, `v13`, `models:/churn/13`) rewritten to name `to`; undefined when it does not. */
export function substituteVersion(value: string, from: string, to: string): string | undefined {
  if (value === from) return to;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<![0-9A-Za-z.])${escaped}(?![0-9A-Za-z])`, 'g');
  if (!pattern.test(value)) return undefined;
  return value.replace(pattern, to);
}

/** The current entry's places, with `from` in each value replaced by `to`. */
function derivedUpdates(current: LedgerEntry, from: string, to: string): LedgerUpdate[] {
  return current.updates.flatMap((update) => {
    const value = substituteVersion(update.value, from, to);
    return value === undefined ? [] : [{ ...update, value }];
  });
}

export function chooseRollback(history: PromotionHistory, options: ChooseOptions): RollbackChoice {
  const { current } = history;
  const where = `model "${options.modelName}" in environment "${options.environment}" on branch "${options.branch}"`;
  if (current === undefined || current.modelVersion === undefined) {
    throw new UserError(
      `The ledger has no promotion of ${where} (no commit carries Model-Name: ${options.modelName} and Environment: ${options.environment}), so there is nothing to roll back; check ${inputRef('model-name')}, ${inputRef('environment')} and ${inputRef('branch')}.`,
      { input: 'environment' },
    );
  }
  const from = current.modelVersion;
  let to: string;
  let source: LedgerEntry | undefined;
  if (options.toVersion !== undefined) {
    to = options.toVersion;
    if (to === from) {
      throw new UserError(`Version ${to} is the one running for ${where} already; name an older version in ${inputRef('to-version')}, or leave it empty to take the previous one.`, {
        input: 'to-version',
      });
    }
    source = promotionOf(history, to);
    if (source === undefined && !options.force) {
      const promoted = [...new Set(history.entries.filter((entry) => entry.kind === 'promotion').map((entry) => entry.modelVersion))].join(', ');
      throw new UserError(
        `Version ${to} was never promoted for ${where} (the ledger holds ${promoted || 'none'}); pick one of those in ${inputRef('to-version')}, or set ${inputRef('force')} to true to write it anyway.`,
        { input: 'to-version' },
      );
    }
    if (history.rolledBack.has(to) && !options.force) {
      throw new UserError(`Version ${to} was itself rolled back for ${where}; pick another version in ${inputRef('to-version')}, or set ${inputRef('force')} to true.`, {
        input: 'to-version',
      });
    }
  } else {
    source = defaultRollbackTarget(history);
    if (source?.modelVersion === undefined) {
      throw new UserError(
        `The ledger holds no version of ${where} to go back to before ${from} (every earlier one is ${history.entries.length > 1 ? 'rolled back or the same' : 'missing: it is the first promotion'}); name one in ${inputRef('to-version')} with ${inputRef('force')} set to true.`,
        { input: 'to-version' },
      );
    }
    to = source.modelVersion;
  }
  // The target's own values where its promotion recorded them; otherwise the current places with the version swapped.
  const updates = source !== undefined && source.updates.length > 0 ? source.updates : derivedUpdates(current, from, to);
  if (updates.length === 0) {
    throw new UserError(
      `The ledger does not say which file:selector received version ${to} of ${where} (its commits predate the Manifest-Update trailer); give them in ${inputRef('updates')}.`,
      { input: 'updates' },
    );
  }
  return { from, to, updates, source };
}
