/**
 * Where the champion's metrics come from: its predictions when the column exists, else the registry (`champion`)
 * and/or a metrics file, else none. A champion alias that does not exist yet is a first deployment: an error, or with
 * on-missing-champion: promote-if-rules-pass a run whose champion comparisons are skipped and reported as such.
 */
import type { RunContext } from '../../lib/command.ts';
import { inputRef } from '../../lib/errors.ts';
import { openRegistry } from '../../lib/registry/index.ts';
import { registryOptions, type RegistryInputValues } from '../../lib/registry/inputs.ts';
import { ModelVersionNotFoundError, readModelUriMetrics } from '../../lib/registry/model-uri.ts';

export const ON_MISSING_CHAMPION = ['fail', 'promote-if-rules-pass'] as const;
export type OnMissingChampion = (typeof ON_MISSING_CHAMPION)[number];

export interface ChampionSource {
  source: 'predictions' | 'metrics-file' | 'registry' | undefined;
  /** Metrics measured elsewhere: the registry version's, under the champion-metrics file's. */
  extra: Record<string, number>;
  registry: { uri: string; version: string } | undefined;
  /** The champion alias named by the champion input does not exist yet, and the run goes on without it. */
  missing: { modelUri: string } | undefined;
}

export interface ChampionInputs extends RegistryInputValues {
  champion: string | undefined;
  onMissingChampion: OnMissingChampion;
}

export async function resolveChampion(
  inputs: ChampionInputs,
  hasPredictions: boolean,
  championColumn: string,
  championFile: Record<string, number> | undefined,
  ctx: RunContext,
): Promise<ChampionSource> {
  const fileOnly: ChampionSource = {
    source: hasPredictions ? 'predictions' : championFile === undefined ? undefined : 'metrics-file',
    extra: championFile ?? {},
    registry: undefined,
    missing: undefined,
  };
  if (inputs.champion === undefined) return fileOnly;
  if (hasPredictions) {
    ctx.log.info(`The predictions have a "${championColumn}" column, so the champion is evaluated from it and ${inputRef('champion')} (${inputs.champion}) is not used.`);
    return fileOnly;
  }
  const registry = openRegistry(registryOptions(inputs, ctx));
  let found;
  try {
    found = await readModelUriMetrics(inputs.champion, registry, { input: 'champion', label: inputRef('champion') });
  } catch (error) {
    // Only an alias can be "not there yet"; a pinned version that is missing is a mistake either way.
    if (!(error instanceof ModelVersionNotFoundError) || error.reference.kind !== 'alias') throw error;
    if (inputs.onMissingChampion === 'fail') {
      throw new ModelVersionNotFoundError(
        `${error.message.replace(/\.$/, '')}; for a first deployment, with no champion yet, set ${inputRef('on-missing-champion')} to promote-if-rules-pass.`,
        error.reference,
        { input: 'champion' },
      );
    }
    return { ...fileOnly, missing: { modelUri: inputs.champion.trim() } };
  }
  ctx.log.info(`Champion ${inputs.champion} is version ${found.version} of ${found.name} in ${registry.location}.`);
  return {
    source: 'registry',
    extra: { ...found.metrics, ...(championFile ?? {}) },
    registry: { uri: inputs.champion, version: found.version },
    missing: undefined,
  };
}

/** The computed metrics plus a file's extra ones; a file cannot override a computed metric (it is warned about). */
export function withExtras(computed: Record<string, number>, extra: Record<string, number>, input: string, warn: (message: string) => void): Record<string, number> {
  const merged = { ...computed };
  for (const [name, value] of Object.entries(extra)) {
    if (name in computed) {
      warn(`The file of ${inputRef(input)} has "${name}", which evaluate-model computes from the predictions; the computed value is used.`);
      continue;
    }
    merged[name] = value;
  }
  return merged;
}
