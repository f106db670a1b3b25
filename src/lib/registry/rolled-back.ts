/**
 * The rolled-back contract: `rollback` tags a version it takes out of service, and every promoting action
 * (register-model, bump-manifest, open-promotion-pr) refuses to promote a version so tagged unless told to. The tag
 * names live in `tags.ts`; this module writes them together and reads them back for the refusal sentence.
 */
import { inputRef, UserError } from '../errors.ts';
import { isRolledBack, ROLLED_BACK_TAG, ROLLED_BACK_VALUE } from './tags.ts';
import type { ModelRegistry, ModelVersion } from './types.ts';

/** Why, when and by which run a version was rolled back (next to `ml-gitops.rolled-back=true`). */
export const ROLLED_BACK_REASON_TAG = 'ml-gitops.rolled-back-reason';
export const ROLLED_BACK_AT_TAG = 'ml-gitops.rolled-back-at';
export const ROLLED_BACK_RUN_TAG = 'ml-gitops.rolled-back-run-url';
export const ROLLED_BACK_ENVIRONMENT_TAG = 'ml-gitops.rolled-back-environment';

export interface RollbackFacts {
  readonly reason: string | undefined;
  readonly environment: string;
  readonly runUrl: string | undefined;
  readonly at: Date;
}

/** The tags `rollback` sets on the bad version. */
export function rolledBackTags(facts: RollbackFacts): Record<string, string> {
  const tags: Record<string, string> = {
    [ROLLED_BACK_TAG]: ROLLED_BACK_VALUE,
    [ROLLED_BACK_AT_TAG]: facts.at.toISOString(),
    [ROLLED_BACK_ENVIRONMENT_TAG]: facts.environment,
  };
  if (facts.reason !== undefined && facts.reason.trim() !== '') tags[ROLLED_BACK_REASON_TAG] = facts.reason.trim().slice(0, 5000);
  if (facts.runUrl !== undefined) tags[ROLLED_BACK_RUN_TAG] = facts.runUrl;
  return tags;
}

/** ` (reason: …, rolled back in production at …)` from a version's tags, for messages. */
export function rolledBackDetails(tags: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  const reason = tags[ROLLED_BACK_REASON_TAG];
  if (reason !== undefined && reason !== '') parts.push(`reason: ${reason}`);
  const where = tags[ROLLED_BACK_ENVIRONMENT_TAG];
  const when = tags[ROLLED_BACK_AT_TAG];
  if (where !== undefined || when !== undefined) parts.push(`rolled back${where === undefined ? '' : ` in ${where}`}${when === undefined ? '' : ` at ${when}`}`);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

/**
 * Refuses to promote a version tagged as rolled back, unless `allow` (the caller's override input, named by
 * `allowInput`). Returns the version read (undefined when the registry does not know it: nothing to refuse).
 */
export async function refuseRolledBackVersion(
  registry: ModelRegistry,
  name: string,
  version: string,
  options: { allow: boolean; allowInput: string; action: string; warn: (message: string) => void },
): Promise<ModelVersion | undefined> {
  const found = await registry.getVersion(name, version);
  if (found === undefined) {
    // A registry that knows the model but not this version: most likely a typo, or a version registered elsewhere;
    // either way the guard has nothing to check, which the user should hear about.
    const known = await registry.listVersions(name);
    if (known.length > 0) {
      options.warn(
        `${registry.location} has versions of model "${name}" but not version ${version}, so ${options.action} cannot check whether it was rolled back; check ${inputRef('model-version')}, or register the version first.`,
      );
    }
    return undefined;
  }
  if (options.allow || !isRolledBack(found.tags)) return found;
  throw new UserError(
    `Version ${version} of model "${name}" is tagged ${ROLLED_BACK_TAG}=true${rolledBackDetails(found.tags)}, so ${options.action} will not promote it again: promote another version, or set ${inputRef(options.allowInput)} to true if it is fixed.`,
    { input: options.allowInput },
  );
}
