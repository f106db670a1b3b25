/**
 * The registry inputs every command that talks to a registry shares (evaluate-model's champion, register-model, and
 * the promotion and rollback commands), declared once so their names, defaults, environment fallbacks and docs cannot
 * drift apart. Commands spread `REGISTRY_INPUTS` into their inputs and `REGISTRY_RULES` into their rules.
 */
import { secret, text, type InputRule, type InputSpec, type RunContext } from '../command.ts';
import { DEFAULT_FILE_REGISTRY_DIR } from './file.ts';
import type { OpenRegistryOptions } from './index.ts';
import { registryUriProblem } from './target.ts';

const registryUri = text({
  description:
    'Where the registry is: an MLflow tracking server (http(s)://host:port), or a file registry (file://<dir> or a directory relative to the workspace).',
  // No `default`: the runner would fill it in and hide MLFLOW_TRACKING_URI; the file registry is the lib's fallback.
  defaultDescription: `\`${DEFAULT_FILE_REGISTRY_DIR}\` (a file registry in the workspace)`,
  env: ['MLFLOW_TRACKING_URI'],
});

export const REGISTRY_INPUTS = {
  'registry-uri': {
    ...registryUri,
    // Checked while parsing, so the message names where the value came from (the input or MLFLOW_TRACKING_URI).
    parse: (raw: string) => {
      const problem = registryUriProblem(raw);
      if (problem !== undefined) throw new Error(problem);
      return registryUri.parse(raw);
    },
  } satisfies InputSpec<string | undefined>,
  'registry-token': secret({ description: 'Bearer token for MLflow.', env: ['MLFLOW_TRACKING_TOKEN'] }),
  'registry-username': text({ description: 'User name for MLflow Basic auth.', env: ['MLFLOW_TRACKING_USERNAME'] }),
  'registry-password': secret({ description: 'Password for MLflow Basic auth.', env: ['MLFLOW_TRACKING_PASSWORD'] }),
};

/** Rules across the registry inputs: Basic auth needs both halves. */
export const REGISTRY_RULES: readonly InputRule[] = [
  { kind: 'together', inputs: ['registry-username', 'registry-password'], reason: 'MLflow Basic auth needs both' },
];

export interface RegistryInputValues {
  registryUri: string | undefined;
  registryToken: string | undefined;
  registryUsername: string | undefined;
  registryPassword: string | undefined;
}

/** The options `openRegistry` takes, from the shared inputs and the run context. */
export function registryOptions(inputs: RegistryInputValues, context: RunContext): OpenRegistryOptions {
  return {
    uri: inputs.registryUri,
    token: inputs.registryToken,
    username: inputs.registryUsername,
    password: inputs.registryPassword,
    env: context.env,
    workspace: context.workspace,
    setSecret: (value) => context.setSecret(value),
  };
}
