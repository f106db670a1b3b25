/**
 * The commit message: a template (or the default subject naming model, version, environment and files), a body that
 * lists every change, and the trailers that make the manifest history a ledger of promotions.
 */
import { UserError } from '../../lib/errors.ts';
import { withTrailers, type GitIdentity } from '../../lib/git.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { changedFiles, type Plan } from './plan.ts';

/** Placeholders of the `commit-message` template. */
export const MESSAGE_PLACEHOLDERS = ['model', 'version', 'previous', 'environment', 'files'] as const;
export type MessagePlaceholder = (typeof MESSAGE_PLACEHOLDERS)[number];

/** Trailer names, shared with the readers of the ledger (`rollback`). */
export const TRAILERS = {
  modelName: 'Model-Name',
  modelVersion: 'Model-Version',
  previousVersion: 'Previous-Version',
  environment: 'Environment',
  workflowRun: 'Workflow-Run',
} as const;

export interface MessageFacts {
  readonly modelName: string | undefined;
  readonly modelVersion: string | undefined;
  readonly environment: string | undefined;
  /** The workflow run URL, when running in GitHub Actions. */
  readonly workflowRun: string | undefined;
}

/** Refuses a template with an unknown or unclosed placeholder, before anything runs. */
export function checkTemplate(template: string): void {
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new UserError(
        `Input "commit-message" uses the unknown placeholder {${name}}${didYouMean(name, MESSAGE_PLACEHOLDERS)}; the placeholders are ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`,
        { input: 'commit-message' },
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

export function buildCommitMessage(plan: Plan, template: string | undefined, facts: MessageFacts): string {
  const files = changedFiles(plan);
  const previous = previousVersion(plan, facts.modelVersion);
  const values: Record<MessagePlaceholder, string> = {
    model: facts.modelName ?? '',
    version: facts.modelVersion ?? '',
    previous: previous ?? '',
    environment: facts.environment ?? '',
    files: files.join(', '),
  };
  let message: string;
  if (template !== undefined && template.trim() !== '') {
    message = template.replace(/\{(model|version|previous|environment|files)\}/g, (_, name: MessagePlaceholder) => values[name]);
  } else {
    const subject = [
      `Bump ${facts.modelName ?? (files.length === 1 ? files[0] : `${files.length} manifests`)}`,
      facts.modelVersion === undefined ? '' : ` to ${facts.modelVersion}`,
      facts.environment === undefined ? '' : ` in ${facts.environment}`,
    ].join('');
    const lines = plan.files.flatMap((file) =>
      file.edits.filter((edit) => edit.changed).map((edit) => `- ${file.relativePath}: ${edit.selector} ${edit.previous ?? '(new)'} -> ${edit.value}`),
    );
    message = `${subject}\n\n${lines.join('\n')}`;
  }
  return withTrailers(message, [
    [TRAILERS.modelName, facts.modelName],
    [TRAILERS.modelVersion, facts.modelVersion],
    [TRAILERS.previousVersion, previous],
    [TRAILERS.environment, facts.environment],
    [TRAILERS.workflowRun, facts.workflowRun],
  ]);
}

/** The run's URL from the Actions environment, or undefined outside Actions. */
export function workflowRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const server = env.GITHUB_SERVER_URL;
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  if (!server || !repository || !runId) return undefined;
  const attempt = env.GITHUB_RUN_ATTEMPT;
  const base = `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}`;
  return attempt && attempt !== '1' ? `${base}/attempts/${attempt}` : base;
}

/** `Name <email>` -> identity; throws a UserError naming the `author` input otherwise. */
export function parseAuthor(author: string): GitIdentity {
  const match = /^\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(author);
  if (!match || !match[1]) {
    throw new UserError(`Input "author" must be of the form \`Name <email>\` (got ${JSON.stringify(author)}).`, { input: 'author' });
  }
  return { name: match[1], email: match[2] as string };
}
