/**
 * The registry inputs every command that talks to a registry shares (evaluate-model's champion, register-model, and
 * the promotion and rollback commands), declared once so their names, defaults and docs cannot drift apart.
 */
import { secret, text, type RunContext } from '../command.ts';
import { DEFAULT_FILE_REGISTRY_DIR } from './file.ts';
import type { OpenRegistryOptions } from './index.ts';

export const REGISTRY_INPUTS = {
  'registry-uri': text({
    description:
      'Where the registry is: an MLflow tracking server (http(s)://host:port), or a file registry (file://<dir> or a directory relative to the workspace).',
    defaultDescription: `\`$MLFLOW_TRACKING_URI\`, else \`${DEFAULT_FILE_REGISTRY_DIR}\``,
  }),
  'registry-token': secret({ description: 'Bearer token for MLflow.', defaultDescription: '`$MLFLOW_TRACKING_TOKEN`' }),
  'registry-username': text({ description: 'User name for MLflow Basic auth.', defaultDescription: '`$MLFLOW_TRACKING_USERNAME`' }),
  'registry-password': secret({ description: 'Password for MLflow Basic auth.', defaultDescription: '`$MLFLOW_TRACKING_PASSWORD`' }),
};

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
