/**
 * The ledger: the manifest repository's history read as promotions and rollbacks. Every commit that bump-manifest,
 * open-promotion-pr or rollback makes ends with trailers (`Key: value` lines, as `git interpret-trailers` reads them);
 * this module owns their names, writes them and reads them back from `git log`, so the three commands agree on them.
 *
 * Trailers (a value is left out when unknown):
 * - `Model-Name`, `Model-Version`, `Previous-Version`, `Environment`, `Workflow-Run`;
 * - `Manifest-Update: <file>:<selector>=<value>`, once per scalar the commit changed, with the value written there (in
 *   the `updates` syntax, double-quoted when it needs escapes), so a rollback can write a version back to exactly the
 *   places that received it, in the form they hold it (`13`, `v13`, `models:/churn/13`);
 * - `Rollback-Of: <version>` and `Reason: <text>` on rollback commits.
 * Commits written before `Manifest-Update` existed stay readable: their entries have no updates.
 */
import type { GitClient } from './git.ts';

export const TRAILERS = {
  modelName: 'Model-Name',
  modelVersion: 'Model-Version',
  previousVersion: 'Previous-Version',
  environment: 'Environment',
  workflowRun: 'Workflow-Run',
  update: 'Manifest-Update',
  rollbackOf: 'Rollback-Of',
  reason: 'Reason',
} as const;

/** One scalar a ledger commit set: `file:selector` and the value written. */
export interface LedgerUpdate {
  readonly file: string;
  readonly selector: string;
  readonly value: string;
}

/** What a ledger commit records. */
export interface LedgerRecord {
  readonly modelName?: string | undefined;
  readonly modelVersion?: string | undefined;
  readonly previousVersion?: string | undefined;
  readonly environment?: string | undefined;
  readonly workflowRun?: string | undefined;
  readonly updates?: readonly LedgerUpdate[];
  /** Set on rollback commits: the version taken out of service. */
  readonly rollbackOf?: string | undefined;
  /** Why the rollback happened. */
  readonly reason?: string | undefined;
}

export interface LedgerEntry extends Required<Pick<LedgerRecord, 'updates'>> {
  readonly sha: string;
  readonly subject: string;
  /** Committer date, ISO 8601. */
  readonly date: string;
  readonly kind: 'promotion' | 'rollback';
  readonly modelName: string | undefined;
  readonly modelVersion: string | undefined;
  readonly previousVersion: string | undefined;
  readonly environment: string | undefined;
  readonly workflowRun: string | undefined;
  readonly rollbackOf: string | undefined;
  readonly reason: string | undefined;
  /** Every trailer of the commit, as written. */
  readonly trailers: Readonly<Record<string, readonly string[]>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------------------

/** A trailer value on one line: newlines and runs of whitespace become single spaces. */
export function trailerValue(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** `file:selector=value`, the value double-quoted (JSON) when it would not survive a trailer line as it is. */
export function formatUpdate(update: LedgerUpdate): string {
  const plain = update.value !== '' && !/[\r\n\t"]/.test(update.value) && update.value === update.value.trim();
  return `${update.file}:${update.selector}=${plain ? update.value : JSON.stringify(update.value)}`;
}

/** The trailer lines of a record, in a fixed order. */
export function ledgerTrailers(record: LedgerRecord): Array<readonly [string, string]> {
  const entries: Array<readonly [string, string | undefined]> = [
    [TRAILERS.modelName, record.modelName],
    [TRAILERS.modelVersion, record.modelVersion],
    [TRAILERS.previousVersion, record.previousVersion],
    [TRAILERS.environment, record.environment],
    [TRAILERS.rollbackOf, record.rollbackOf],
    [TRAILERS.reason, record.reason],
    ...(record.updates ?? []).map((update) => [TRAILERS.update, formatUpdate(update)] as const),
    [TRAILERS.workflowRun, record.workflowRun],
  ];
  return entries
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined && trailerValue(entry[1]) !== '')
    .map(([key, value]) => [key, trailerValue(value)] as const);
}

/** Appends the record's trailers to a message as its last paragraph, the way `git interpret-trailers` reads them. */
export function withLedgerTrailers(message: string, record: LedgerRecord): string {
  const block = ledgerTrailers(record)
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n');
  const body = message.replace(/\s+$/, '');
  return block === '' ? `${body}\n` : `${body}\n\n${block}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------------

/** Parses `Key: value` lines (as printed by `%(trailers:only,unfold)`) into a map of key -> values. */
export function parseTrailers(text: string): Record<string, string[]> {
  const trailers: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s?(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] as string;
    (trailers[key] ??= []).push((match[2] as string).trim());
  }
  return trailers;
}

/** `file:selector=value` back into its parts; undefined when the text is not of that form. */
export function parseUpdate(text: string): LedgerUpdate | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const rest = text.slice(colon + 1);
  // The value is everything after the last `=` that is outside brackets, quotes excepted: selectors hold `[name=x]`.
  let depth = 0;
  let split = -1;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === '=' && depth === 0) {
      split = i;
      break;
    }
  }
  if (split <= 0) return undefined;
  let value = rest.slice(split + 1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      // Not JSON after all: keep the text as written.
    }
  }
  return { file: text.slice(0, colon), selector: rest.slice(0, split), value };
}

function entryFrom(sha: string, subject: string, date: string, trailers: Record<string, string[]>): LedgerEntry {
  const first = (key: string): string | undefined => trailers[key]?.[0];
  const rollbackOf = first(TRAILERS.rollbackOf);
  return {
    sha,
    subject,
    date,
    kind: rollbackOf === undefined ? 'promotion' : 'rollback',
    modelName: first(TRAILERS.modelName),
    modelVersion: first(TRAILERS.modelVersion),
    previousVersion: first(TRAILERS.previousVersion),
    environment: first(TRAILERS.environment),
    workflowRun: first(TRAILERS.workflowRun),
    rollbackOf,
    reason: first(TRAILERS.reason),
    updates: (trailers[TRAILERS.update] ?? []).map(parseUpdate).filter((update): update is LedgerUpdate => update !== undefined),
    trailers,
  };
}

export interface ReadLedgerOptions {
  /** Where to start (default HEAD). */
  readonly ref?: string;
  /** Only commits touching these paths (relative to the repository root). */
  readonly paths?: readonly string[];
  /** Only entries of this model / environment. */
  readonly modelName?: string;
  readonly environment?: string;
  readonly maxCount?: number;
}

/**
 * The ledger entries reachable from `ref`, newest first: commits that carry a `Model-Version` trailer. Never a parent
 * before its child (`--date-order`): after a merged rollback or promotion PR, the PR's commit and the base commit it
 * was made on can share a timestamp, and the plain date walk could then show the older one first.
 */
export async function readLedger(git: GitClient, options: ReadLedgerOptions = {}): Promise<LedgerEntry[]> {
  const args = ['log', '--no-color', '--date-order', '--format=%H%x1f%s%x1f%cI%x1f%(trailers:only,unfold)%x1e'];
  if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
  args.push(options.ref ?? 'HEAD', '--', ...(options.paths ?? []));
  const out = await git.exec(args);
  const entries: LedgerEntry[] = [];
  for (const record of out.split('\x1e')) {
    const trimmed = record.replace(/^\n/, '');
    if (trimmed.trim() === '') continue;
    const [sha = '', subject = '', date = '', trailerText = ''] = trimmed.split('\x1f');
    const trailers = parseTrailers(trailerText);
    if (!(TRAILERS.modelVersion in trailers)) continue;
    const entry = entryFrom(sha, subject, date, trailers);
    if (options.modelName !== undefined && entry.modelName !== options.modelName) continue;
    if (options.environment !== undefined && entry.environment !== options.environment) continue;
    entries.push(entry);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// Interpreting
// ---------------------------------------------------------------------------------------------------------------

export interface PromotionHistory {
  /** The entry that put the running version in place (a promotion or a rollback), newest first order's head. */
  readonly current: LedgerEntry | undefined;
  /** Versions taken out of service by a rollback in this history. */
  readonly rolledBack: ReadonlySet<string>;
  /** Every entry, newest first. */
  readonly entries: readonly LedgerEntry[];
}

/** The history of one model in one environment, from entries read newest first. */
export function promotionHistory(entries: readonly LedgerEntry[]): PromotionHistory {
  const rolledBack = new Set<string>();
  for (const entry of entries) if (entry.rollbackOf !== undefined) rolledBack.add(entry.rollbackOf);
  return { current: entries[0], rolledBack, entries };
}

/**
 * Where a rollback goes by default: the newest promotion, older than the current entry, of a version that is neither
 * the running one nor rolled back. Its updates say what to write back. Undefined when there is none.
 */
export function defaultRollbackTarget(history: PromotionHistory): LedgerEntry | undefined {
  const running = history.current?.modelVersion;
  return history.entries
    .slice(1)
    .find((entry) => entry.kind === 'promotion' && entry.modelVersion !== undefined && entry.modelVersion !== running && !history.rolledBack.has(entry.modelVersion));
}

/** The newest promotion of `version` in the history, whose updates hold the values that version was written as. */
export function promotionOf(history: PromotionHistory, version: string): LedgerEntry | undefined {
  return history.entries.find((entry) => entry.kind === 'promotion' && entry.modelVersion === version);
}
