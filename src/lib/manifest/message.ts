/**
 * The commit message of a manifest update: a template (or the default subject naming model, version, environment and
 * files), a body that lists every change, and the ledger trailers that make the manifest history a record of
 * promotions. bump-manifest commits it; open-promotion-pr sends it with its API commit.
 */
import { inputRef, UserError } from '../errors.ts';
import { withLedgerTrailers, type LedgerRecord } from '../ledger.ts';
import { didYouMean } from '../suggest.ts';
import { changedFiles, changedUpdates, type Plan } from './plan.ts';

/** Placeholders of a commit message template. */
export const MESSAGE_PLACEHOLDERS = ['model', 'version', 'previous', 'environment', 'files'] as const;
export type MessagePlaceholder = (typeof MESSAGE_PLACEHOLDERS)[number];

export interface MessageFacts {
  readonly modelName: string | undefined;
  readonly modelVersion: string | undefined;
  readonly environment: string | undefined;
  /** The workflow run URL, when running in GitHub Actions. */
  readonly workflowRun: string | undefined;
  /** Rollback commits: the version taken out of service, and why. */
  readonly rollbackOf?: string | undefined;
  readonly reason?: string | undefined;
}

/** Refuses a template with an unknown or unclosed placeholder, before anything runs. `input` names the template's input. */
export function checkTemplate(template: string, input: string): void {
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new UserError(
        `${inputRef(input)} uses the unknown placeholder {${name}}${didYouMean(name, MESSAGE_PLACEHOLDERS)}; the placeholders are ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`,
        { input },
      );
    }
  }
}

/**
 * The version the changed scalars held before: the previous values of the edits that set `model-version` (or of all
 * changed edits when no version is given), distinct, comma-separated.
 */
export function previousVersion(plan: Plan, modelVersion: string | undefined): string | undefined {
  const changed = plan.files.flatMap((file) => file.edits.filter((edit) => edit.changed));
  const relevant = modelVersion === undefined ? changed : changed.filter((edit) => edit.value === modelVersion);
  const values = [...new Set(relevant.map((edit) => edit.previous).filter((value): value is string => value !== null && value !== ''))];
  return values.length === 0 ? undefined : values.join(', ');
}

/** The ledger record of a plan's commit. */
export function ledgerRecord(plan: Plan, facts: MessageFacts): LedgerRecord {
  return {
    modelName: facts.modelName,
    modelVersion: facts.modelVersion,
    previousVersion: previousVersion(plan, facts.modelVersion),
    environment: facts.environment,
    workflowRun: facts.workflowRun,
    updates: changedUpdates(plan),
    rollbackOf: facts.rollbackOf,
    reason: facts.reason,
  };
}

/** The message without trailers: the filled template, or the default subject and one line per change. */
export function messageText(plan: Plan, template: string | undefined, facts: MessageFacts): string {
  const files = changedFiles(plan);
  const values: Record<MessagePlaceholder, string> = {
    model: facts.modelName ?? '',
    version: facts.modelVersion ?? '',
    previous: previousVersion(plan, facts.modelVersion) ?? '',
    environment: facts.environment ?? '',
    files: files.join(', '),
  };
  if (template !== undefined && template.trim() !== '') {
    return template.replace(/\{(model|version|previous|environment|files)\}/g, (_, name: MessagePlaceholder) => values[name]);
  }
  const verb = facts.rollbackOf === undefined ? 'Bump' : 'Roll back';
  const subject = [
    `${verb} ${facts.modelName ?? (files.length === 1 ? files[0] : `${files.length} manifests`)}`,
    facts.rollbackOf === undefined ? '' : ` from ${facts.rollbackOf}`,
    facts.modelVersion === undefined ? '' : ` to ${facts.modelVersion}`,
    facts.environment === undefined ? '' : ` in ${facts.environment}`,
  ].join('');
  const lines = plan.files.flatMap((file) =>
    file.edits.filter((edit) => edit.changed).map((edit) => `- ${file.relativePath}: ${edit.selector} ${edit.previous ?? '(new)'} -> ${edit.value}`),
  );
  return `${subject}\n\n${lines.join('\n')}`;
}

/** The whole commit message: text and ledger trailers. */
export function buildCommitMessage(plan: Plan, template: string | undefined, facts: MessageFacts): string {
  return withLedgerTrailers(messageText(plan, template, facts), ledgerRecord(plan, facts));
}
