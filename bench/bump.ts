/**
 * Benchmark of `bump-manifest`'s edits against mikefarah `yq -i`.
 *
 * Generates a manifest repository of 2,000 files (Helm values, kustomizations, multi-document manifests; comments,
 * blank lines, anchors and merge keys, quoted strings, flow lists, some with CRLF, a BOM or no final newline; fixed
 * seed) under `.bench/bump/`, picks 100 files and 2 edits in each, then applies the 200 edits to one copy with our
 * command (in process, `commit: false`) and to another copy with `yq -i` (one call per file, both edits in one
 * expression). For both it reports the wall time and the number of files whose bytes changed anywhere outside the
 * edited scalars (every line but the edited ones must be identical, and on an edited line the text before and after
 * the scalar too). yq is installed into `.bench/bin` with `go install` when missing.
 *
 * Standalone: `node_modules/.bin/node bench/bump.ts [--files N] [--edited N]`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bumpManifest } from '../src/commands/bump-manifest/index.ts';
import { parseInputs, type RunContext } from '../src/lib/command.ts';
import { markdownTable } from '../src/lib/report.ts';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = path.join(ROOT, '.bench');
const YQ_MODULE = 'github.com/mikefarah/yq/v4';
/** Tried when `@latest` cannot be built (e.g. a dependency of the newest release missing from the module proxy). */
const YQ_FALLBACK_VERSION = 'v4.47.2';
const SEED = 20_260_401;

export interface BumpBenchOptions {
  /** Files in the generated repository (default 2,000). */
  files?: number;
  /** Files edited, two edits each (default 100). */
  editedFiles?: number;
  /** Skip yq (e.g. where Go is not available). */
  skipYq?: boolean;
  log?: (line: string) => void;
}

export interface BumpBenchSide {
  milliseconds: number;
  /** Edited files whose bytes changed outside the edited scalars. */
  filesChangedOutside: number;
  /** Edits whose new value is found in the output. */
  editsApplied: number;
}

export interface BumpBenchResult {
  files: number;
  editedFiles: number;
  edits: number;
  ours: BumpBenchSide;
  yq: (BumpBenchSide & { version: string }) | undefined;
  /** yq milliseconds / our milliseconds: how many times faster we are. */
  speedup: number | undefined;
  table: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The generated repository
// ---------------------------------------------------------------------------------------------------------------

interface Target {
  /** The update line's selector and value (ours). */
  selector: string;
  value: string;
  /** The same edit as a yq assignment. */
  yq: string;
  /** The edited line's exact original text and the scalar's text in it. */
  line: string;
  token: string;
  /** The token expected in our output (same quoting style). */
  expected: string;
}

interface GeneratedFile {
  path: string;
  text: string;
  targets: Target[];
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function finish(lines: string[], variant: number): string {
  const eol = variant % 7 === 3 ? '\r\n' : '\n';
  let text = lines.join(eol);
  if (variant % 11 !== 5) text += eol;
  if (variant % 13 === 6) text = `\uFEFF${text}`;
  return text;
}

function helmValues(index: number, random: () => number): GeneratedFile {
  const app = `app-${String(index).padStart(4, '0')}`;
  const version = 10 + Math.floor(random() * 80);
  const minor = Math.floor(random() * 20);
  const replicas = 1 + Math.floor(random() * 5);
  const versionLine = `  version: ${version} # promoted by CI`;
  const tagLine = `  tag: 'v1.${minor}.0'`;
  const lines = [
    `# Helm values for ${app}.`,
    '# Generated for the bump-manifest benchmark; keep the comments.',
    `replicaCount: ${replicas}`,
    '',
    'defaults: &defaults',
    '  resources:',
    '    limits: { cpu: "500m", memory: 512Mi }',
    '    requests: {cpu: 100m, memory: "128Mi"}',
    '',
    'model:',
    `  name: "${app}"`,
    versionLine,
    `  threshold: 0.${Math.floor(random() * 90) + 10}`,
    '  labels: [churn, "tier-1", \'batch\']',
    '',
    'image:',
    `  repository: ghcr.io/acme/${app}`,
    tagLine,
    '  pullPolicy: IfNotPresent   # never Always in prod',
    '',
    'server:',
    '  <<: *defaults',
    '  args: ["--port", "8080", "--workers", "4"]',
    '  env:',
    '    - name: LOG_LEVEL',
    '      value: info',
    '',
    '    - name: FEATURE_FLAGS',
    '      value: "a,b,c"',
    '  config: |',
    '    # not a comment: block scalar content',
    '    threshold = 0.5',
  ];
  const next = version + 1;
  return {
    path: `apps/${app}/values.yaml`,
    text: finish(lines, index),
    targets: [
      { selector: 'model.version', value: String(next), yq: `.model.version = ${next}`, line: versionLine, token: String(version), expected: String(next) },
      { selector: 'image.tag', value: `v1.${minor + 1}.0`, yq: `.image.tag = "v1.${minor + 1}.0"`, line: tagLine, token: `'v1.${minor}.0'`, expected: `'v1.${minor + 1}.0'` },
    ],
  };
}

function kustomization(index: number, random: () => number): GeneratedFile {
  const app = `app-${String(index).padStart(4, '0')}`;
  const minor = Math.floor(random() * 20);
  const version = 10 + Math.floor(random() * 80);
  const tagLine = `    newTag: v1.${minor}.0`;
  const literalsLine = `    literals: [MODEL_NAME=${app}, MODEL_VERSION=${version}]`;
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `namespace: ${app}   # target namespace`,
    '',
    'resources:',
    '  - ../../base',
    '  - service.yaml',
    '',
    'images:',
    `  - name: ghcr.io/acme/${app}`,
    tagLine,
    '  - name: ghcr.io/acme/sidecar',
    '    newTag: "2.3.1"',
    '',
    'configMapGenerator:',
    '  - name: model-config',
    literalsLine,
    '',
    'patches:',
    '  - path: replicas.yaml',
    `    target: {kind: Deployment, name: ${app}}`,
  ];
  return {
    path: `overlays/${app}/kustomization.yaml`,
    text: finish(lines, index),
    targets: [
      {
        selector: `images[name=ghcr.io/acme/${app}].newTag`,
        value: `v1.${minor + 1}.0`,
        yq: `(.images[] | select(.name == "ghcr.io/acme/${app}")).newTag = "v1.${minor + 1}.0"`,
        line: tagLine,
        token: `v1.${minor}.0`,
        expected: `v1.${minor + 1}.0`,
      },
      {
        selector: 'configMapGenerator[name=model-config].literals[1]',
        value: `MODEL_VERSION=${version + 1}`,
        yq: `(.configMapGenerator[] | select(.name == "model-config")).literals[1] = "MODEL_VERSION=${version + 1}"`,
        line: literalsLine,
        token: `MODEL_VERSION=${version}`,
        expected: `MODEL_VERSION=${version + 1}`,
      },
    ],
  };
}

function multiDocument(index: number, random: () => number): GeneratedFile {
  const app = `app-${String(index).padStart(4, '0')}`;
  const version = 10 + Math.floor(random() * 80);
  const annotationLine = `    ml.acme.io/model-version: "${version}"`;
  const envLine = `              value: "${version}"   # kept in sync`;
  const lines = [
    '---',
    '# The serving deployment.',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${app}`,
    '  annotations:',
    annotationLine,
    'spec:',
    `  replicas: ${1 + Math.floor(random() * 4)}`,
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: server',
    `          image: ghcr.io/acme/${app}:v1.0.0`,
    '          args: ["--model-dir", "/models"]',
    '          env:',
    '            - name: MODEL_VERSION',
    envLine,
    '            - name: MODEL_NAME',
    `              value: '${app}'`,
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${app}`,
    'spec:',
    '  ports: [{ port: 80, targetPort: 8080 }]',
    '...',
  ];
  const doc = `select(.kind == "Deployment" and .metadata.name == "${app}")`;
  return {
    path: `k8s/${app}.yaml`,
    text: finish(lines, index),
    targets: [
      {
        selector: `(Deployment/${app}).spec.template.spec.containers[name=server].env[name=MODEL_VERSION].value`,
        value: String(version + 1),
        yq: `(${doc} | .spec.template.spec.containers[] | select(.name == "server") | .env[] | select(.name == "MODEL_VERSION")).value = "${version + 1}"`,
        line: envLine,
        token: `"${version}"`,
        expected: `"${version + 1}"`,
      },
      {
        selector: `(Deployment/${app}).metadata.annotations."ml.acme.io/model-version"`,
        value: String(version + 1),
        yq: `(${doc}).metadata.annotations["ml.acme.io/model-version"] = "${version + 1}"`,
        line: annotationLine,
        token: `"${version}"`,
        expected: `"${version + 1}"`,
      },
    ],
  };
}

export function generateRepository(count: number): GeneratedFile[] {
  const random = prng(SEED);
  const makers = [helmValues, kustomization, multiDocument];
  return Array.from({ length: count }, (_, index) => (makers[index % makers.length] as typeof helmValues)(index, random));
}

async function writeRepository(dir: string, files: readonly GeneratedFile[]): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  const dirs = new Set(files.map((file) => path.dirname(path.join(dir, file.path))));
  await Promise.all([...dirs].map((d) => fs.mkdir(d, { recursive: true })));
  await Promise.all(files.map((file) => fs.writeFile(path.join(dir, file.path), file.text)));
}

// ---------------------------------------------------------------------------------------------------------------
// Fidelity: bytes outside the edited scalars
// ---------------------------------------------------------------------------------------------------------------

/** True when `output` differs from `input` anywhere but inside the edited scalars of `targets`. */
export function changedOutsideTargets(input: string, output: string, targets: readonly Target[]): boolean {
  const before = input.split('\n');
  const after = output.split('\n');
  if (before.length !== after.length) return true;
  for (let i = 0; i < before.length; i++) {
    const original = before[i] as string;
    const edited = after[i] as string;
    if (original === edited) continue;
    const target = targets.find((t) => original === t.line || original === `${t.line}\r` || original === `\uFEFF${t.line}`);
    if (!target) return true;
    const column = original.indexOf(target.token, original.indexOf(':') + 1);
    const prefix = original.slice(0, column);
    const suffix = original.slice(column + target.token.length);
    if (!edited.startsWith(prefix) || !edited.endsWith(suffix) || edited.length < prefix.length + suffix.length) return true;
  }
  return false;
}

async function measureSide(dir: string, edited: readonly GeneratedFile[], expectExactTokens: boolean): Promise<Omit<BumpBenchSide, 'milliseconds'>> {
  let filesChangedOutside = 0;
  let editsApplied = 0;
  for (const file of edited) {
    const output = await fs.readFile(path.join(dir, file.path), 'utf8');
    if (changedOutsideTargets(file.text, output, file.targets)) filesChangedOutside++;
    for (const target of file.targets) {
      const newValue = expectExactTokens ? target.expected : target.value;
      if (output.includes(newValue)) editsApplied++;
    }
  }
  return { filesChangedOutside, editsApplied };
}

// ---------------------------------------------------------------------------------------------------------------
// The two sides
// ---------------------------------------------------------------------------------------------------------------

function benchContext(workspace: string): RunContext {
  const quiet = () => undefined;
  return {
    log: { info: quiet, warning: quiet, debug: quiet, group: async (_title, fn) => fn() },
    summary: quiet,
    setSecret: quiet,
    env: {},
    workspace,
    tempDir: os.tmpdir(),
  };
}

async function runOurs(dir: string, edited: readonly GeneratedFile[]): Promise<number> {
  const updates = edited.flatMap((file) => file.targets.map((target) => `${file.path}:${target.selector}=${target.value}`)).join('\n');
  const ctx = benchContext(dir);
  const raw: Record<string, string> = { updates, commit: 'false', push: 'false' };
  const started = performance.now();
  const inputs = parseInputs(bumpManifest, (name) => raw[name], ctx.setSecret);
  const outputs = await bumpManifest.run(inputs, ctx);
  const milliseconds = performance.now() - started;
  if (outputs.changed !== true) throw new Error('bump-manifest changed nothing in the benchmark repository');
  return milliseconds;
}

function yqVersion(binary: string): string | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 && /mikefarah/.test(result.stdout) ? result.stdout.trim().replace(/^.*version\s+/, '') : undefined;
}

/** The mikefarah yq binary in `.bench/bin`, installed with `go install` when missing; undefined when it cannot be. */
export function ensureYq(log: (line: string) => void): string | undefined {
  const binDir = path.join(BENCH_DIR, 'bin');
  const binary = path.join(binDir, 'yq');
  if (existsSync(binary) && yqVersion(binary)) return binary;
  for (const version of ['latest', YQ_FALLBACK_VERSION]) {
    log(`Installing mikefarah yq (${YQ_MODULE}@${version}) into ${path.relative(ROOT, binDir)} ...`);
    const result = spawnSync('go', ['install', `${YQ_MODULE}@${version}`], {
      env: { ...process.env, GOBIN: binDir },
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (result.status === 0 && yqVersion(binary)) return binary;
    log(`go install ${YQ_MODULE}@${version} failed: ${(result.stderr ?? result.error?.message ?? '').trim().split('\n').at(-1) ?? ''}`);
  }
  return undefined;
}

async function runYq(binary: string, dir: string, edited: readonly GeneratedFile[]): Promise<number> {
  const started = performance.now();
  for (const file of edited) {
    const expression = file.targets.map((target) => target.yq).join(' | ');
    await execFileAsync(binary, ['-i', expression, path.join(dir, file.path)]);
  }
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------------------------

export async function runBumpBench(options: BumpBenchOptions = {}): Promise<BumpBenchResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const count = options.files ?? 2000;
  const editedCount = Math.min(options.editedFiles ?? 100, count);
  const files = generateRepository(count);
  const stride = Math.max(1, Math.floor(count / editedCount));
  const edited = Array.from({ length: editedCount }, (_, i) => files[i * stride] as GeneratedFile);
  const edits = edited.reduce((sum, file) => sum + file.targets.length, 0);

  const base = path.join(BENCH_DIR, 'bump');
  const oursDir = path.join(base, 'ours');
  const yqDir = path.join(base, 'yq');
  log(`Generating ${count} manifests under ${path.relative(ROOT, base)} ...`);
  await writeRepository(oursDir, files);

  const oursMs = await runOurs(oursDir, edited);
  const ours: BumpBenchSide = { milliseconds: oursMs, ...(await measureSide(oursDir, edited, true)) };

  let yq: BumpBenchResult['yq'];
  const binary = options.skipYq ? undefined : ensureYq(log);
  if (binary) {
    await writeRepository(yqDir, files);
    const yqMs = await runYq(binary, yqDir, edited);
    yq = { milliseconds: yqMs, ...(await measureSide(yqDir, edited, false)), version: yqVersion(binary) ?? '?' };
  } else if (!options.skipYq) {
    log('mikefarah yq is not available (Go missing or the install failed); reporting our side only.');
  }

  const speedup = yq ? yq.milliseconds / ours.milliseconds : undefined;
  const row = (name: string, side: BumpBenchSide): string[] => [
    name,
    side.milliseconds.toFixed(0),
    `${side.editsApplied} / ${edits}`,
    `${side.filesChangedOutside} / ${editedCount}`,
  ];
  const rows = [row('ml-gitops bump-manifest (in process)', ours)];
  if (yq) rows.push(row(`mikefarah yq ${yq.version} (\`yq -i\`, one call per file)`, yq));
  const table = [
    `Bump: ${edits} edits across ${editedCount} of ${count} generated manifests.`,
    '',
    markdownTable(['Tool', 'Wall time (ms)', 'Edits applied', 'Files with bytes changed outside the edited scalars'], rows),
    '',
    speedup === undefined ? 'yq not run.' : `bump-manifest is ${speedup.toFixed(1)}x faster than yq -i.`,
  ].join('\n');
  return { files: count, editedFiles: editedCount, edits, ours, yq, speedup, table };
}

function argument(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runBumpBench({ files: argument('files'), editedFiles: argument('edited'), skipYq: process.argv.includes('--skip-yq') });
  console.log(result.table);
}
