/**
 * An Argo Rollouts AnalysisTemplate (or ClusterAnalysisTemplate) as the analysis, so teams reuse what they already
 * run in the cluster. Supported: `spec.args` (`{{args.NAME}}` filled from the caller's values, else the arg's
 * `value`), and per metric `interval`, `count`, `initialDelay`, `failureLimit`, `inconclusiveLimit`,
 * `consecutiveErrorLimit`, `successCondition` / `failureCondition` (see conditions.ts), `provider.prometheus.query`,
 * `.address` and `.timeout`; `spec.dryRun` (the metric is measured and reported but does not decide); and
 * `spec.measurementRetention`, accepted without effect (every measurement is reported). Everything else that Argo
 * knows is refused with a sentence saying what to do instead (see REFUSED below); keys Argo does not know are refused
 * with a did-you-mean.
 */
import { z } from 'zod';
import { UserError, inputRef } from '../errors.ts';
import { describeZodIssue, parseYamlDocuments, type LocatedYaml, type NodePath } from '../yaml-locate.ts';
import { ConditionError, compileCondition } from './conditions.ts';
import { parseDuration } from './duration.ts';
import { readYamlInput } from './load.ts';
import { durationSchema } from './schema.ts';
import type { AnalysisPlan, InconclusivePolicy, PlannedMetric } from './types.ts';

const TEMPLATE_KINDS = ['AnalysisTemplate', 'ClusterAnalysisTemplate'] as const;
const API_VERSION = 'argoproj.io/v1alpha1';

/** Argo's int-or-string fields (`count: 3`, `count: "{{args.count}}"`), after the args are filled in. */
const intOrString = z.union([z.number(), z.string()]);

const prometheusSchema = z.strictObject({
  address: z.string().optional(),
  query: z.string().min(1, { message: 'must not be empty' }),
  timeout: intOrString.optional(),
  insecure: z.boolean().optional(),
  headers: z.array(z.unknown()).optional(),
  authentication: z.unknown().optional(),
  rangeQuery: z.unknown().optional(),
});

const metricSchema = z.strictObject({
  name: z.string().min(1, { message: 'must not be empty' }),
  interval: durationSchema.optional(),
  initialDelay: durationSchema.optional(),
  count: intOrString.optional(),
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  failureLimit: intOrString.optional(),
  inconclusiveLimit: intOrString.optional(),
  consecutiveErrorLimit: intOrString.optional(),
  consecutiveSuccessLimit: intOrString.optional(),
  provider: z.record(z.string(), z.unknown()),
});

const argSchema = z.strictObject({
  name: z.string().min(1, { message: 'must not be empty' }),
  value: z.string().optional(),
  valueFrom: z.unknown().optional(),
});

const specSchema = z.strictObject({
  args: z.array(argSchema).optional(),
  metrics: z.array(metricSchema).min(1, { message: 'must list at least one metric' }),
  dryRun: z.array(z.strictObject({ metricName: z.string().min(1) })).optional(),
  measurementRetention: z.array(z.strictObject({ metricName: z.string().min(1), limit: z.number().int() })).optional(),
});

const templateSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string().optional() }).optional(),
  spec: specSchema,
});

type TemplateMetric = z.infer<typeof metricSchema>;

/** AnalysisTemplate features refused, with what to do instead (the command's docs list them). */
export const REFUSED_TEMPLATE_FEATURES: Readonly<Record<string, string>> = {
  'providers other than prometheus': 'rewrite the metric as a Prometheus query, or leave it to Argo Rollouts in the cluster',
  'args[].valueFrom (secretKeyRef, fieldRef)': 'pass the value as an argument; secrets and fields of the cluster cannot be read from CI',
  'provider.prometheus.authentication (sigv4, oauth2)': `use ${inputRef('prometheus-token')}`,
  'provider.prometheus.headers': `use ${inputRef('prometheus-headers')}`,
  'provider.prometheus.insecure: true': 'give the server a certificate the runner trusts (NODE_EXTRA_CA_CERTS)',
  'provider.prometheus.rangeQuery': 'use an instant query, e.g. avg_over_time(...[5m])',
  consecutiveSuccessLimit: 'use count and failureLimit',
  'interval without count (runs forever)': 'set count: the analysis must end for the workflow to go on',
};

export interface LoadTemplateOptions {
  /** Resolves a relative path (default: the current directory). */
  workspace?: string;
  /** The input's name, for messages (default `analysis-template`). */
  input?: string;
  /** metadata.name of the template to use when the file holds several. */
  name?: string;
  /** What an inconclusive analysis means (Argo pauses the rollout; CI must decide). Default `fail`. */
  inconclusive?: InconclusivePolicy;
}

export interface LoadedTemplate {
  plan: AnalysisPlan;
  /** metadata.name */
  name: string | undefined;
  kind: (typeof TEMPLATE_KINDS)[number];
  file: string | undefined;
  /** The distinct `provider.prometheus.address` values, for the caller to use when no URL is given. */
  addresses: string[];
}

/** Loads an AnalysisTemplate file (or inline YAML) and fills its args from `args` (else the args' own values). */
export function loadAnalysisTemplate(input: string, args: Readonly<Record<string, string | undefined>> = {}, options: LoadTemplateOptions = {}): LoadedTemplate {
  const inputName = options.input ?? 'analysis-template';
  const { text, file } = readYamlInput(input, options.workspace ?? process.cwd(), inputName, 'analysis template');
  return parseAnalysisTemplate(text, file, args, { ...options, input: inputName });
}

export function parseAnalysisTemplate(
  text: string,
  file: string | undefined,
  args: Readonly<Record<string, string | undefined>> = {},
  options: LoadTemplateOptions = {},
): LoadedTemplate {
  const origin = { noun: 'analysis template', file, input: options.input ?? 'analysis-template' };
  const documents = parseYamlDocuments(text, origin);
  const yaml = pickTemplate(documents, options.name, origin);
  const raw = yaml.value as Record<string, unknown>;
  if (raw.apiVersion !== API_VERSION) {
    throw yaml.error(['apiVersion'], `has apiVersion ${JSON.stringify(raw.apiVersion ?? null)}; an Argo Rollouts template has apiVersion: ${API_VERSION}.`);
  }

  const spec = (raw.spec ?? {}) as Record<string, unknown>;
  const declared = validate(yaml, ['spec', 'args'], spec.args ?? [], z.array(argSchema));
  const values = resolveArgs(declared, args);
  // Argo fills the args into the metrics before reading them: `count: "{{args.count}}"` is a number afterwards.
  const metricsRaw = substitute(yaml, ['spec', 'metrics'], spec.metrics, values, declared);
  const template = validate(yaml, [], { ...raw, spec: { ...spec, metrics: metricsRaw } }, templateSchema);

  const dryRun = template.spec.dryRun ?? [];
  const metrics = template.spec.metrics.map((metric, index) =>
    planMetric(yaml, metric, ['spec', 'metrics', index], dryRun.some((entry) => matchesMetricName(entry.metricName, metric.name))),
  );
  const seen = new Set<string>();
  template.spec.metrics.forEach((metric, index) => {
    if (seen.has(metric.name)) throw yaml.error(['spec', 'metrics', index, 'name'], `has a second metric named "${metric.name}"; give each metric its own name.`);
    seen.add(metric.name);
  });
  return {
    plan: { display: file ?? 'the inline analysis template', input: origin.input, inconclusive: options.inconclusive ?? 'fail', metrics },
    name: template.metadata?.name,
    kind: template.kind as LoadedTemplate['kind'],
    file,
    addresses: [...new Set(metrics.map((m) => m.address).filter((a): a is string => a !== undefined))],
  };
}

function pickTemplate(documents: LocatedYaml[], name: string | undefined, origin: { noun: string; file: string | undefined; input: string }): LocatedYaml {
  const kindOf = (doc: LocatedYaml): unknown => (doc.value as { kind?: unknown } | null)?.kind;
  const templates = documents.filter((doc) => TEMPLATE_KINDS.includes(kindOf(doc) as (typeof TEMPLATE_KINDS)[number]));
  const where = origin.file ?? 'the inline analysis template';
  if (templates.length === 0) {
    const first = documents[0];
    const kind = first === undefined ? undefined : kindOf(first);
    const found = kind === undefined ? 'no kind' : `kind ${JSON.stringify(kind)}`;
    if (first !== undefined) throw first.error(['kind'], `has ${found}; it must be an Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate (kind: AnalysisTemplate).`);
    throw new UserError(`The analysis template ${where} is empty; give it an Argo Rollouts AnalysisTemplate.`, { input: origin.input });
  }
  if (name !== undefined) {
    const named = templates.find((doc) => (doc.value as { metadata?: { name?: unknown } }).metadata?.name === name);
    if (named === undefined) {
      throw new UserError(`The analysis template ${where} has no template named "${name}"; its templates are ${templates.map((doc) => JSON.stringify((doc.value as { metadata?: { name?: unknown } }).metadata?.name ?? null)).join(', ')}.`, {
        input: origin.input,
      });
    }
    return named;
  }
  if (templates.length > 1) {
    throw (templates[1] as LocatedYaml).error(['kind'], `is a second analysis template in the file; keep one template per file.`);
  }
  return templates[0] as LocatedYaml;
}

/** Validates `value` (found at `at` in the document) with `schema`; an issue is located in the original YAML. */
function validate<T>(yaml: LocatedYaml, at: NodePath, value: unknown, schema: z.ZodType<T>): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const described = describeZodIssue(result.error.issues, value, schema);
  throw yaml.error([...at, ...described.path], described.message);
}

type Arg = z.infer<typeof argSchema>;

/** The value of each declared arg: the caller's, else the template's own; undefined when neither is there. */
function resolveArgs(declared: readonly Arg[], given: Readonly<Record<string, string | undefined>>): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const arg of declared) values.set(arg.name, given[arg.name] ?? arg.value);
  return values;
}

const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** A deep copy of `value` with `{{args.NAME}}` filled in every string; other references are refused. */
function substitute(yaml: LocatedYaml, at: NodePath, value: unknown, args: Map<string, string | undefined>, declared: readonly Arg[]): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, reference: string) => {
      const argName = /^args\.(.+)$/.exec(reference)?.[1];
      if (argName === undefined) {
        throw yaml.error(at, `uses {{${reference}}}; only {{args.NAME}} references are filled in outside the cluster.`);
      }
      if (!args.has(argName)) {
        const names = declared.map((arg) => `"${arg.name}"`).join(', ');
        throw yaml.error(at, `uses {{args.${argName}}}, but spec.args declares no argument "${argName}"${names === '' ? '' : ` (it declares ${names})`}; add it to spec.args.`);
      }
      const argValue = args.get(argName);
      if (argValue === undefined) {
        const arg = declared.find((item) => item.name === argName);
        const fromCluster = arg?.valueFrom !== undefined ? ' takes its value from the cluster (valueFrom), which CI cannot read, and' : '';
        throw yaml.error(at, `uses {{args.${argName}}}, but the argument "${argName}"${fromCluster} has no value; give it a "value:" in spec.args or pass it as an argument.`);
      }
      return argValue;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(yaml, [...at, index], item, args, declared));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(yaml, [...at, key], item, args, declared)]));
  }
  return value;
}

/** Argo matches dryRun names as regular expressions (`.*` for all); a plain name matches itself. */
function matchesMetricName(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return false;
  }
}

function wholeNumber(yaml: LocatedYaml, at: NodePath, value: number | string | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < 0) {
    throw yaml.error(at, `has ${field} ${JSON.stringify(value)}; it must be a whole number of 0 or more.`);
  }
  return number;
}

function planMetric(yaml: LocatedYaml, metric: TemplateMetric, at: NodePath, dryRun: boolean): PlannedMetric {
  const providers = Object.keys(metric.provider);
  if (providers.length !== 1) {
    throw yaml.error([...at, 'provider'], `has ${providers.length === 0 ? 'no provider' : `${providers.length} providers (${providers.join(', ')})`}; give the metric exactly one: prometheus.`);
  }
  const providerName = providers[0] as string;
  if (providerName !== 'prometheus') {
    throw yaml.error([...at, 'provider', providerName], `uses the "${providerName}" provider; ml-gitops measures prometheus metrics only: ${REFUSED_TEMPLATE_FEATURES['providers other than prometheus']}.`);
  }
  const providerAt = [...at, 'provider', 'prometheus'];
  const prometheus = validate(yaml, providerAt, metric.provider.prometheus ?? {}, prometheusSchema);
  if (prometheus.authentication !== undefined) {
    throw yaml.error([...providerAt, 'authentication'], `sets authentication, which cannot be used outside the cluster; ${REFUSED_TEMPLATE_FEATURES['provider.prometheus.authentication (sigv4, oauth2)']} instead.`);
  }
  if (prometheus.headers !== undefined && prometheus.headers.length > 0) {
    throw yaml.error([...providerAt, 'headers'], `sets headers; ${REFUSED_TEMPLATE_FEATURES['provider.prometheus.headers']} instead, so that they are masked.`);
  }
  if (prometheus.insecure === true) {
    throw yaml.error([...providerAt, 'insecure'], `sets insecure: true, and ml-gitops always verifies TLS; ${REFUSED_TEMPLATE_FEATURES['provider.prometheus.insecure: true']}.`);
  }
  if (prometheus.rangeQuery !== undefined) {
    throw yaml.error([...providerAt, 'rangeQuery'], `sets rangeQuery, which is not supported; ${REFUSED_TEMPLATE_FEATURES['provider.prometheus.rangeQuery']}.`);
  }
  if (metric.consecutiveSuccessLimit !== undefined) {
    throw yaml.error([...at, 'consecutiveSuccessLimit'], `sets consecutiveSuccessLimit, which is not supported; ${REFUSED_TEMPLATE_FEATURES.consecutiveSuccessLimit}.`);
  }

  const intervalMs = metric.interval === undefined ? 0 : (parseDuration(metric.interval) as number);
  const count = wholeNumber(yaml, [...at, 'count'], metric.count, metric.interval === undefined ? 1 : Number.NaN, 'count');
  if (Number.isNaN(count)) {
    throw yaml.error([...at, 'interval'], `sets an interval without a count, which Argo runs until the rollout ends; ${REFUSED_TEMPLATE_FEATURES['interval without count (runs forever)']}, e.g. count: 10.`);
  }
  if (count < 1) throw yaml.error([...at, 'count'], 'has count 0; set count to 1 or more.');
  if (count > 1 && intervalMs === 0) throw yaml.error([...at, 'count'], `has count ${count} without an interval; set interval, e.g. interval: 30s.`);

  const compile = (field: 'successCondition' | 'failureCondition'): void => {
    const source = metric[field];
    if (source === undefined) return;
    try {
      compileCondition(source);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      throw yaml.error([...at, field], `has a ${field} that is not an expression (${error.message}); write it as Argo does, e.g. result[0] >= 0.95.`);
    }
  };
  compile('successCondition');
  compile('failureCondition');

  const timeout = prometheus.timeout === undefined ? undefined : wholeNumber(yaml, [...providerAt, 'timeout'], prometheus.timeout, 0, 'timeout');
  return {
    name: metric.name,
    query: prometheus.query,
    placeholders: false,
    check: {
      kind: 'condition',
      ...(metric.successCondition === undefined ? {} : { successCondition: metric.successCondition }),
      ...(metric.failureCondition === undefined ? {} : { failureCondition: metric.failureCondition }),
    },
    intervalMs,
    count,
    initialDelayMs: metric.initialDelay === undefined ? 0 : (parseDuration(metric.initialDelay) as number),
    failureLimit: wholeNumber(yaml, [...at, 'failureLimit'], metric.failureLimit, 0, 'failureLimit'),
    inconclusiveLimit: wholeNumber(yaml, [...at, 'inconclusiveLimit'], metric.inconclusiveLimit, 0, 'inconclusiveLimit'),
    // Argo's default: four errors in a row are tolerated.
    consecutiveErrorLimit: wholeNumber(yaml, [...at, 'consecutiveErrorLimit'], metric.consecutiveErrorLimit, 4, 'consecutiveErrorLimit'),
    dryRun,
    ...(prometheus.address === undefined ? {} : { address: prometheus.address }),
    ...(timeout === undefined || timeout === 0 ? {} : { queryTimeoutSeconds: timeout }),
    where: yaml.where(at),
  };
}
