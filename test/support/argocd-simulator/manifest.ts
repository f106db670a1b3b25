/**
 * What the simulator "renders" from the manifests at a revision: the model (name, version) they deploy and the
 * Kubernetes resources they declare, from which health is derived.
 */
import { parseAllDocuments } from 'yaml';

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface RenderedResource {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface Rendered {
  /** `model.version` of a values file, or the MODEL_VERSION environment variable of a container. */
  modelVersion: string | undefined;
  /** `model.name` of a values file, or MODEL_NAME. */
  modelName: string | undefined;
  resources: RenderedResource[];
  /** Every parsed YAML document, for health rules. */
  documents: unknown[];
}

function walk(node: unknown, visit: (record: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (typeof node === 'object' && node !== null) {
    visit(node as Record<string, unknown>);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * `release` is the Helm release name (Argo CD's default: the app's name). A folder that holds only Helm values (a
 * `model:` block, no Kubernetes object) stands for the serving chart rendered with them, as in a multi-source app whose
 * chart comes from a chart repository and whose values come from this folder: the chart's Deployment and Service,
 * named after the release, are what Argo CD tracks, and the Deployment carries the health.
 */
export function render(files: ReadonlyMap<string, string>, defaultNamespace: string, release?: string): Rendered {
  const documents: unknown[] = [];
  for (const [name, text] of files) {
    if (!/\.ya?ml$/.test(name)) continue;
    for (const document of parseAllDocuments(text)) {
      if (Array.isArray(document)) continue;
      const value: unknown = document.toJS();
      if (value !== null && value !== undefined) documents.push(value);
    }
  }
  // A values file's `model:` block wins over an environment variable of a workload (Helm renders one from the other).
  let valuesVersion: string | undefined;
  let valuesName: string | undefined;
  let envVersion: string | undefined;
  let envName: string | undefined;
  for (const document of documents) {
    walk(document, (record) => {
      const model = record.model;
      if (typeof model === 'object' && model !== null && !Array.isArray(model)) {
        valuesVersion ??= scalar((model as Record<string, unknown>).version);
        valuesName ??= scalar((model as Record<string, unknown>).name);
      }
      if (record.name === 'MODEL_VERSION') envVersion ??= scalar(record.value);
      if (record.name === 'MODEL_NAME') envName ??= scalar(record.value);
    });
  }
  const modelVersion = valuesVersion ?? envVersion;
  const modelName = valuesName ?? envName;
  const resources: RenderedResource[] = [];
  for (const document of documents) {
    const record = document as Record<string, unknown>;
    const metadata = record.metadata as Record<string, unknown> | undefined;
    if (typeof record.kind !== 'string' || typeof record.apiVersion !== 'string' || typeof metadata?.name !== 'string') continue;
    const [group, version] = record.apiVersion.includes('/') ? (record.apiVersion.split('/') as [string, string]) : ['', record.apiVersion];
    if (record.kind === 'Kustomization') continue;
    resources.push({ group, version, kind: record.kind, namespace: typeof metadata.namespace === 'string' ? metadata.namespace : defaultNamespace, name: metadata.name });
  }
  if (resources.length === 0 && valuesVersion !== undefined && release !== undefined) {
    resources.push(
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: defaultNamespace, name: release },
      { group: '', version: 'v1', kind: 'Service', namespace: defaultNamespace, name: release },
    );
  }
  return { modelVersion, modelName, resources, documents };
}

/** The resource that carries the model's health: a Rollout, else a Deployment or StatefulSet, else the first. */
export function workload(resources: readonly RenderedResource[]): RenderedResource | undefined {
  return (
    resources.find((resource) => resource.kind === 'Rollout') ??
    resources.find((resource) => resource.kind === 'Deployment' || resource.kind === 'StatefulSet') ??
    resources[0]
  );
}
