/**
 * register-model: registers a model version in MLflow or the embedded file registry, idempotently, with lineage and
 * evaluation tags, waits until it is READY and then points an alias at it.
 */
import path from 'node:path';
import { choice, defineCommand, flag, lines, number, text } from '../../lib/command.ts';
import { UserError } from '../../lib/errors.ts';
import { FileRegistry } from '../../lib/registry/file.ts';
import { openRegistry, resolveRegistryTarget, type OpenRegistryOptions } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, registryOptions as registryOptionsFromInputs } from '../../lib/registry/inputs.ts';
import { formatModelUri } from '../../lib/registry/model-uri.ts';
import { evaluationTags, readReport } from './evaluation.ts';
import { planRegistration } from './plan.ts';
import { registerVersion } from './register.ts';
import { registrationSummary } from './summary.ts';

export const registerModel = defineCommand({
  name: 'register-model',
  description:
    'Registers a model version in MLflow or a file registry, idempotently and with lineage tags, waits until it is READY, then points an alias at it.',
  inputs: {
    ...REGISTRY_INPUTS,
    'model-name': text({
      description: 'Registered model name, created when missing. MLflow refuses empty names and names with "/" or ":".',
      required: true,
    }),
    source: text({
      description: 'Artifact URI of the model to register, e.g. runs:/<run-id>/model, models:/<model-id> or s3://bucket/path.',
      required: true,
    }),
    'run-id': text({ description: 'MLflow run that produced the model (its metrics become the version\'s metrics).' }),
    'model-id': text({ description: 'MLflow 3 logged model id (m-…) the version comes from.' }),
    tags: lines({ description: 'Extra version tags, one key=value per line. Keys starting with "ml-gitops." are reserved.' }),
    description: text({ description: 'Version description (markdown). The evaluation report\'s rules table is appended to it.' }),
    alias: text({
      description: 'Alias to point at the version once it is READY and tagged, e.g. challenger. Refused on a rolled-back version.',
    }),
    'evaluation-report': text({
      description:
        'Path of the JSON report written by evaluate-model (its report-path output): its decision and candidate metrics become tags (evaluation.decision, metric.<name>), its rules table goes into the description.',
    }),
    'wait-timeout': number({
      description: 'Seconds to wait for the version to become READY.',
      default: '300',
      min: 0,
      unit: 'seconds',
    }),
    'allow-rolled-back': flag({
      description: 'Register and alias a version even when it is tagged ml-gitops.rolled-back=true.',
      default: 'false',
    }),
    'request-timeout': number({
      description: 'Time budget of each registry request in seconds, retries included (MLflow only).',
      default: '300',
      min: 1,
      unit: 'seconds',
    }),
    stage: choice(['Staging', 'Production', 'Archived'] as const, {
      description:
        'Deprecated MLflow stage to move the version to (MLflow only, opt-in legacy mode): also sets the alias of the same name in lower case. Prefer alias.',
    }),
  },
  outputs: {
    version: { description: 'The registered version number.' },
    'model-uri': { description: 'models:/<name>/<version> of the registered version.' },
    created: { description: 'true when this run created the version, false when an earlier run with the same inputs had.' },
  },
  async run(inputs, ctx) {
    const report =
      inputs.evaluationReport === undefined ? undefined : await readReport(inputs.evaluationReport, ctx.workspace);
    const plan = planRegistration(
      {
        modelName: inputs.modelName,
        source: inputs.source,
        runId: inputs.runId,
        modelId: inputs.modelId,
        tags: inputs.tags,
        description: inputs.description,
        alias: inputs.alias,
      },
      ctx.env,
      report === undefined ? undefined : evaluationTags(report),
    );
    if (report?.decision === 'reject') {
      ctx.log.warning(`The evaluation report rejected this model (${report.reason}); registering it anyway, tagged evaluation.decision=reject.`);
    } else if (report !== undefined) {
      ctx.log.info(`Evaluation decision: ${report.decision}.`);
    }

    const registryOptions: OpenRegistryOptions = {
      ...registryOptionsFromInputs(inputs, ctx),
      totalTimeoutMs: inputs.requestTimeout * 1000,
      legacyStages: inputs.stage !== undefined,
    };
    if (inputs.stage !== undefined && resolveRegistryTarget(registryOptions).kind !== 'mlflow') {
      throw new UserError('Input "stage" needs an MLflow registry, since the file registry has no stages: use input "alias" instead.', {
        input: 'stage',
      });
    }
    const registry = openRegistry(registryOptions);
    const stageAlias = inputs.stage?.toLowerCase();
    if (plan.alias !== undefined && stageAlias !== undefined && plan.alias !== stageAlias) {
      throw new UserError(
        `Inputs "alias" (${plan.alias}) and "stage" (${inputs.stage ?? ''}) disagree: the legacy stage mode sets the alias named after the stage, so give only one of them.`,
        { input: 'stage' },
      );
    }
    const result = await ctx.log.group(`Registering ${plan.name} in ${registry.location}`, () =>
      registerVersion(registry, { ...plan, alias: plan.alias ?? stageAlias }, {
        waitTimeoutMs: inputs.waitTimeout * 1000,
        allowRolledBack: inputs.allowRolledBack,
        log: (message) => ctx.log.info(message),
      }),
    );
    const modelUri = formatModelUri({ kind: 'version', name: plan.name, version: result.version.version });
    ctx.summary(
      registrationSummary({
        result,
        modelUri,
        registryLocation: registry.location,
        versionUrl: registry.versionUrl(plan.name, result.version.version),
        versionFile: registry instanceof FileRegistry ? workspaceRelative(registry.versionPath(plan.name, result.version.version), ctx.workspace) : undefined,
        stage: inputs.stage,
      }),
    );
    return { version: result.version.version, 'model-uri': modelUri, created: result.created };
  },
});

/** A path inside the workspace as the repository shows it; others stay absolute. */
function workspaceRelative(file: string, workspace: string): string {
  const relative = path.relative(workspace, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}
