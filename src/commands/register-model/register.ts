/**
 * The registration itself, against any ModelRegistry: model, version (reused when the idempotency tag matches), tags,
 * READY, alias last. Each step can be repeated, so a run that failed halfway is finished by running it again.
 */
import { inputRef, UserError } from '../../lib/errors.ts';
import { poll, type BackoffPolicy } from '../../lib/retry.ts';
import { rolledBackDetails } from '../../lib/registry/rolled-back.ts';
import { ROLLED_BACK_TAG, isRolledBack } from '../../lib/registry/tags.ts';
import type { ModelRegistry, ModelVersion } from '../../lib/registry/types.ts';
import type { AliasPlan, RegistrationPlan } from './plan.ts';

export interface RegisterOptions {
  /** How long to wait for READY, in milliseconds. */
  waitTimeoutMs: number;
  /** Register and alias a version even when it is tagged as rolled back. */
  allowRolledBack: boolean;
  log?: (message: string) => void;
}

export interface RegistrationResult {
  version: ModelVersion;
  created: boolean;
  /** The alias now pointing at the version, when one was asked for. */
  alias: string | undefined;
  /** Tags that a reused version lacked (or held with another value) and that were set on it. */
  updatedTags: Record<string, string>;
}

/** How often a PENDING_REGISTRATION version is read again: 250 ms, growing by half each time, up to 5 s. */
const READY_POLL: BackoffPolicy = { initialMs: 250, factor: 1.5, maxMs: 5_000, jitter: 'none' };

export async function registerVersion(registry: ModelRegistry, plan: RegistrationPlan, options: RegisterOptions): Promise<RegistrationResult> {
  const log = options.log ?? (() => undefined);
  await registry.ensureModel(plan.name);
  const { version: registered, created } = await registry.createVersion({
    name: plan.name,
    source: plan.source,
    runId: plan.runId,
    modelId: plan.modelId,
    description: plan.description,
    tags: plan.tags,
    idempotencyKey: plan.idempotencyKey,
  });
  log(
    created
      ? `Registered ${plan.name} version ${registered.version} in ${registry.location}.`
      : `Reusing ${plan.name} version ${registered.version}: it was registered earlier from the same model, source, run and commit.`,
  );
  if (!created) refuseRolledBack(registered, plan.name, plan.alias, options, 'register');

  const updatedTags = created ? {} : missingTags(registered.tags, plan.tags);
  if (Object.keys(updatedTags).length > 0) {
    await registry.setTags(plan.name, registered.version, updatedTags);
    log(`Updated ${Object.keys(updatedTags).length} tag(s) on the reused version.`);
  }

  const ready = await waitUntilReady(registry, registered, options.waitTimeoutMs);

  if (plan.alias !== undefined) {
    refuseRolledBack(ready, plan.name, plan.alias, options, 'alias');
    if (!ready.aliases.includes(plan.alias)) {
      await registry.setAlias(plan.name, plan.alias, ready.version);
      log(`Alias "${plan.alias}" now points to ${plan.name} version ${ready.version}.`);
    }
  }
  const aliases = plan.alias === undefined || ready.aliases.includes(plan.alias) ? ready.aliases : [...ready.aliases, plan.alias];
  return { version: { ...ready, tags: { ...ready.tags, ...updatedTags }, aliases }, created, alias: plan.alias, updatedTags };
}

function refuseRolledBack(version: ModelVersion, name: string, alias: string | undefined, options: RegisterOptions, action: 'register' | 'alias'): void {
  if (options.allowRolledBack || !isRolledBack(version.tags)) return;
  const what = action === 'register' ? 'register it again' : `point alias "${alias ?? ''}" at it`;
  const instead = action === 'register' ? 'register a new source or commit' : 'point the alias at another version';
  throw new UserError(
    `Version ${version.version} of model "${name}" is tagged ${ROLLED_BACK_TAG}=true${rolledBackDetails(version.tags) || ' (it was rolled back)'}, so register-model will not ${what}: ${instead}, or set ${inputRef('allow-rolled-back')} to true.`,
    { input: 'allow-rolled-back' },
  );
}

/**
 * Points the plan's alias at an existing version (the `version` input): nothing is registered; the version must
 * exist, must not be rolled back (unless allowed) and must be READY; the user's and the evaluation's tags are set
 * first, so the alias only moves to a fully tagged version.
 */
export async function aliasExistingVersion(registry: ModelRegistry, plan: AliasPlan, options: RegisterOptions): Promise<RegistrationResult> {
  const log = options.log ?? (() => undefined);
  const found = await registry.getVersion(plan.name, plan.version);
  if (found === undefined) {
    throw new UserError(
      `Model "${plan.name}" has no version ${plan.version} in ${registry.location}: check ${inputRef('version')}, or pass ${inputRef('source')} instead to register a new version.`,
      { input: 'version' },
    );
  }
  refuseRolledBack(found, plan.name, plan.alias, options, 'alias');
  const updatedTags = missingTags(found.tags, plan.tags);
  if (Object.keys(updatedTags).length > 0) {
    await registry.setTags(plan.name, found.version, updatedTags);
    log(`Set ${Object.keys(updatedTags).length} tag(s) on ${plan.name} version ${found.version}.`);
  }
  const ready = await waitUntilReady(registry, found, options.waitTimeoutMs);
  if (plan.alias !== undefined && !ready.aliases.includes(plan.alias)) {
    await registry.setAlias(plan.name, plan.alias, ready.version);
    log(`Alias "${plan.alias}" now points to ${plan.name} version ${ready.version}.`);
  } else if (plan.alias !== undefined) {
    log(`Alias "${plan.alias}" already points to ${plan.name} version ${ready.version}.`);
  }
  const aliases = plan.alias === undefined || ready.aliases.includes(plan.alias) ? ready.aliases : [...ready.aliases, plan.alias];
  return { version: { ...ready, tags: { ...ready.tags, ...updatedTags }, aliases }, created: false, alias: plan.alias, updatedTags };
}

/** The planned tags the version does not carry with the same value. */
function missingTags(current: Readonly<Record<string, string>>, planned: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(planned).filter(([key, value]) => current[key] !== value));
}

/** Polls the version with growing pauses until it is READY; FAILED_REGISTRATION and the timeout are UserErrors. */
export async function waitUntilReady(registry: ModelRegistry, version: ModelVersion, timeoutMs: number): Promise<ModelVersion> {
  let current = version;
  let first = true;
  const outcome = await poll<ModelVersion>(
    async () => {
      if (!first) {
        const latest = await registry.getVersion(current.name, current.version);
        if (latest === undefined) {
          throw new UserError(
            `Version ${current.version} of model "${current.name}" disappeared from ${registry.location} while waiting for it to become READY: run register-model again.`,
          );
        }
        current = latest;
      }
      first = false;
      if (current.status === 'FAILED_REGISTRATION') {
        throw new UserError(
          `${registry.location} failed to register version ${current.version} of model "${current.name}": ${current.statusMessage ?? 'no reason given'}; fix the source and delete that version before running again, since the same inputs reuse it.`,
          { input: 'source' },
        );
      }
      return current.status === 'READY' ? { done: true, value: current } : { done: false };
    },
    { policy: READY_POLL, timeoutMs },
  );
  if (outcome.done) return outcome.value;
  throw new UserError(
    `Version ${current.version} of model "${current.name}" was still ${current.status} after ${formatSeconds(timeoutMs)}: raise ${inputRef('wait-timeout')}, or run again later to finish the registration.`,
    { input: 'wait-timeout' },
  );
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
