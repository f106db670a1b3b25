/**
 * `{model}`, `{version}`, `{environment}`, `{revision}` in the queries of the analysis YAML, so that a query can
 * target the version just deployed. Only these four words are placeholders: every other brace is PromQL's own
 * (`{model="churn"}`).
 */
import { UserError, inputRef } from '../errors.ts';

export interface Placeholders {
  model?: string | undefined;
  version?: string | undefined;
  environment?: string | undefined;
  revision?: string | undefined;
}

/** The input each placeholder comes from, for the message when it is missing. */
export const PLACEHOLDER_INPUTS: Record<keyof Placeholders, string> = {
  model: 'model-name',
  version: 'model-version',
  environment: 'environment',
  revision: 'revision',
};

const PLACEHOLDER = /\{(model|version|environment|revision)\}/g;

/** The placeholders `text` uses. */
export function placeholdersIn(text: string): (keyof Placeholders)[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] as keyof Placeholders))];
}

/** `query` with its placeholders filled; a placeholder without a value is a UserError naming the metric and input. */
export function fillPlaceholders(query: string, values: Placeholders, metric: { name: string; where: string }): string {
  return query.replace(PLACEHOLDER, (_match, name: keyof Placeholders) => {
    const value = values[name];
    if (value === undefined || value === '') {
      throw new UserError(
        `The query of metric "${metric.name}" (${metric.where}) uses {${name}}, but no value was given for it; set ${inputRef(PLACEHOLDER_INPUTS[name])} or remove {${name}} from the query.`,
        { input: PLACEHOLDER_INPUTS[name] },
      );
    }
    return value;
  });
}
