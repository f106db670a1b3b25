/**
 * register-model: registers a model version in MLflow or the embedded file registry, idempotently, with lineage and
 * evaluation tags, waits until it is READY and then points an alias at it.
 */
import path from 'node:path';
import { choice, defineCommand, flag, lines, number, text, type InputRule } from '../../lib/command.ts';
import { inputRef, UserError } from '../../lib/errors.ts';
import { lowerFirst } from '../../lib/text.ts';
import { FileRegistry } from '../../lib/registry/file.ts';
import { openRegistry, resolveRegistryTarget, type OpenRegistryOptions } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, REGISTRY_RULES, registryOptions as registryOptionsFromInputs } from '../../lib/registry/inputs.ts';
import { formatModelUri } from '../../lib/registry/model-uri.ts';
import { evaluationTags, readReport } from './evaluation.ts';
import { registrationCommit } from './commit.ts';
import { planAlias, planRegistration, type AliasPlan, type CommitFact } from './plan.ts';
import { aliasExistingVersion, registerVersion, type RegistrationResult } from './register.ts';
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
      description:
        'Artifact URI of the model to register, e.g. runs:/<run-id>/model, models:/<model-id> or s3://bucket/path. Give either source or version.',
    }),
    version: text({
      description:
        'An existing version to point alias (or stage) at instead of registering one from source, e.g. 3: nothing is registered, the version must exist and be READY, and tags are set on it.',
      pattern: /^[1-9]\d*$/,
      patternHint: 'a version number such as 3',
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
    'allow-rejected': flag({
      description:
        'Point the alias (or stage) at the version even when the evaluation report rejected the model. Without an alias, a rejected model is registered with a warning.',
      default: 'false',
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
  rules: [
    ...REGISTRY_RULES,
    { kind: 'one-of', inputs: ['source', 'version'], reason: 'source registers a new version, version points the alias at an existing one' },
    ...(['run-id', 'model-id', 'description'] as const).map(
      (input): InputRule => ({ kind: 'exclusive', inputs: ['version', input], reason: `${input} describes a new registration, which version does not make` }),
    ),
  ],
  outputs: {
    version: { description: 'The registered (or, with input version, the aliased) version number.' },
    'model-uri': { description: 'models:/<name>/<version> of the version.' },
    created: { description: 'true when this run created the version, false when an earlier run with the same inputs had (or with input version).' },
  },
  async run(inputs, ctx) {
    const report =
      inputs.evaluationReport === undefined ? undefined : await readReport(inputs.evaluationReport, ctx.workspace);
    const evaluation = report === undefined ? undefined : evaluationTags(report);
    const stageAlias = inputs.stage?.toLowerCase();
    const existing = inputs.version === undefined ? undefined : planAlias(
      { modelName: inputs.modelName, version: inputs.version, tags: inputs.tags, alias: inputs.alias },
      evaluation,
    );
    // Only a new registration needs the commit (idempotency key and lineage); an existing version keeps its own.
    const commit = existing === undefined ? await registrationCommit(ctx.env, ctx.workspace) : undefined;
    const plan =
      existing !== undefined
        ? undefined
        : planRegistration(
            {
              modelName: inputs.modelName,
              // The one-of rule guarantees source here; planRegistration refuses an empty one anyway.
              source: inputs.source ?? '',
              runId: inputs.runId,
              modelId: inputs.modelId,
              tags: inputs.tags,
              description: inputs.description,
              alias: inputs.alias,
            },
            ctx.env,
            evaluation,
            commit?.commit,
          );
    const name = existing?.name ?? plan?.name ?? inputs.modelName;
    const alias = existing?.alias ?? plan?.alias;
    if (alias !== undefined && stageAlias !== undefined && alias !== stageAlias) {
      throw new UserError(
        `${inputRef('alias')} (${alias}) and ${inputRef('stage')} (${inputs.stage ?? ''}) disagree: the legacy stage mode sets the alias named after the stage, so give only one of them.`,
        { input: 'stage' },
      );
    }
    const targetAlias = alias ?? stageAlias;
    if (existing !== undefined && targetAlias === undefined) {
      throw new UserError(
        `${inputRef('version')} points an alias at an existing version, but no alias is given: set ${inputRef('alias')} (or ${inputRef('stage')}), or pass ${inputRef('source')} instead to register a new version.`,
        { input: 'alias' },
      );
    }
    if (report?.decision === 'reject' && targetAlias !== undefined && !inputs.allowRejected) {
      throw new UserError(
        `The evaluation report ${inputs.evaluationReport ?? ''} rejected this model (${lowerFirst(report.reason.replace(/\.$/, ''))}), so register-model will not point alias "${targetAlias}" at it: ${existing !== undefined ? `point ${inputRef('version')} at another version` : `drop ${inputRef(alias === undefined ? 'stage' : 'alias')} to register it without an alias`}, or set ${inputRef('allow-rejected')} to true.`,
        { input: 'allow-rejected' },
      );
    }
    if (report?.decision === 'reject') {
      ctx.log.warning(
        targetAlias === undefined
          ? `The evaluation report rejected this model (${report.reason}); registering it anyway, tagged evaluation.decision=reject, without an alias.`
          : `The evaluation report rejected this model (${report.reason}); pointing alias "${targetAlias}" at it anyway, since ${inputRef('allow-rejected')} is true.`,
      );
    } else if (report !== undefined) {
      ctx.log.info(`Evaluation decision: ${report.decision}.`);
    }
    if (commit !== undefined) logCommit(commit, ctx.workspace, ctx.log);

    const registryOptions: OpenRegistryOptions = {
      ...registryOptionsFromInputs(inputs, ctx),
      totalTimeoutMs: inputs.requestTimeout * 1000,
      legacyStages: inputs.stage !== undefined,
    };
    if (inputs.stage !== undefined && resolveRegistryTarget(registryOptions).kind !== 'mlflow') {
      throw new UserError(`${inputRef('stage')} needs an MLflow registry, since the file registry has no stages: use ${inputRef('alias')} instead.`, {
        input: 'stage',
      });
    }
    const registry = openRegistry(registryOptions);
    const options = {
      waitTimeoutMs: inputs.waitTimeout * 1000,
      allowRolledBack: inputs.allowRolledBack,
      log: (message: string) => ctx.log.info(message),
    };
    const result: RegistrationResult =
      plan !== undefined
        ? await ctx.log.group(`Registering ${name} in ${registry.location}`, () => registerVersion(registry, { ...plan, alias: targetAlias }, options))
        : await ctx.log.group(`Pointing alias ${targetAlias ?? ''} of ${name} at an existing version in ${registry.location}`, () =>
            aliasExistingVersion(registry, { ...(existing as AliasPlan), alias: targetAlias }, options),
          );
    const modelUri = formatModelUri({ kind: 'version', name, version: result.version.version });
    ctx.summary(
      registrationSummary({
        result,
        modelUri,
        registryLocation: registry.location,
        versionUrl: registry.versionUrl(name, result.version.version),
        versionFile: registry instanceof FileRegistry ? workspaceRelative(registry.versionPath(name, result.version.version), ctx.workspace) : undefined,
        stage: inputs.stage,
        commit,
        existing: existing !== undefined,
      }),
    );
    return { version: result.version.version, 'model-uri': modelUri, created: result.created };
  },
});

/** Says which commit the idempotency key holds, and warns when there is none (re-runs from any commit reuse the version). */
function logCommit(commit: CommitFact, workspace: string, log: { info(message: string): void; warning(message: string): void }): void {
  if (commit.commit !== undefined) {
    log.info(`Idempotency key: model, source, run and commit ${commit.commit} (from ${commit.origin}).`);
    return;
  }
  log.warning(
    `No commit found (no GITHUB_SHA or other CI commit variable, and ${workspace} is not a git checkout), so the idempotency key holds only the model, source and run: a later run with the same inputs reuses this version whatever the commit.`,
  );
}

/** A path inside the workspace as the repository shows it; others stay absolute. */
function workspaceRelative(file: string, workspace: string): string {
  const relative = path.relative(workspace, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}
