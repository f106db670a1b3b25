/**
 * Benchmark: the paired bootstrap of src/lib/metrics against the same bootstrap vectorised in numpy
 * (bench/python/bootstrap_numpy.py), on the same rows: accuracy, f1 and roc_auc, 1,000 resamples over
 * 1,000,000 rows by default. Run: `node bench/bootstrap.ts [--rows N] [--resamples N]`.
 * The Python interpreter is $ML_GITOPS_PYTHON, else the repository's .venv.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pairedBootstrap, type BinaryData, type Interval } from '../src/lib/metrics/index.ts';
import { createRng, nextUint32 } from '../src/lib/metrics/random.ts';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const METRIC_NAMES = ['accuracy', 'f1', 'roc_auc'] as const;

export interface BootstrapBenchOptions {
  rows?: number;
  resamples?: number;
  seed?: number;
  confidence?: number;
  /** Python interpreter with numpy; default $ML_GITOPS_PYTHON or the repository's .venv/bin/python. */
  python?: string;
}

export interface BootstrapBenchMetric {
  typescript: Interval;
  numpy: Interval;
  /** Both bounds within 10% of the interval width (the two bootstraps use different random generators). */
  agrees: boolean;
}

export interface BootstrapBenchResult {
  rows: number;
  resamples: number;
  typescriptSeconds: number;
  numpySeconds: number;
  /** numpySeconds / typescriptSeconds. */
  speedup: number;
  /** CPU time of each side (user + system), less sensitive than wall time to other load on the machine. */
  typescriptCpuSeconds: number;
  numpyCpuSeconds: number;
  cpuSpeedup: number;
  metrics: Record<string, BootstrapBenchMetric>;
  markdown: string;
}

/** Two models' scores for `rows` held-out rows: scores are rounded to 6 decimals, as in a CSV file, so some tie. */
export function generateBootstrapRows(rows: number, seed: number): { labels: Uint8Array; candidate: Float64Array; champion: Float64Array } {
  const rng = createRng(seed);
  const uniform = (): number => (nextUint32(rng) + 0.5) / 4294967296;
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const sigmoid = (x: number): number => Math.round(1e6 / (1 + Math.exp(-x))) / 1e6;
  const labels = new Uint8Array(rows);
  const candidate = new Float64Array(rows);
  const champion = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = uniform() < 0.3 ? 1 : 0;
    const signal = label === 1 ? 1 : -1;
    labels[i] = label;
    candidate[i] = sigmoid(0.62 * signal - 0.4 + normal());
    champion[i] = sigmoid(0.6 * signal - 0.4 + normal());
  }
  return { labels, candidate, champion };
}

function bytes(array: Uint8Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function agree(a: Interval, b: Interval): boolean {
  const width = Math.max(a.upper - a.lower, b.upper - b.lower);
  return Math.abs(a.lower - b.lower) <= 0.1 * width && Math.abs(a.upper - b.upper) <= 0.1 * width;
}

const format = (x: number): string => x.toFixed(5);

export async function runBootstrapBench(options: BootstrapBenchOptions = {}): Promise<BootstrapBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  const threshold = 0.5;
  const python = options.python ?? process.env.ML_GITOPS_PYTHON ?? join(REPOSITORY, '.venv', 'bin', 'python');

  const { labels, candidate, champion } = generateBootstrapRows(rows, seed);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('The benchmark writes little-endian files.');
  const directory = await mkdtemp(join(tmpdir(), 'ml-gitops-bootstrap-bench-'));
  try {
    await writeFile(join(directory, 'labels.u8'), bytes(labels));
    await writeFile(join(directory, 'candidate.f64'), bytes(candidate));
    await writeFile(join(directory, 'champion.f64'), bytes(champion));

    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    const ours = pairedBootstrap(
      { task: 'binary', labels, scores: candidate, threshold } satisfies BinaryData,
      { task: 'binary', labels, scores: champion, threshold } satisfies BinaryData,
      METRIC_NAMES,
      { resamples, confidence, seed },
    );
    const typescriptSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const typescriptCpuSeconds = (cpu.user + cpu.system) / 1e6;

    const script = join(REPOSITORY, 'bench', 'python', 'bootstrap_numpy.py');
    const args = [script, directory, String(rows), String(resamples), String(seed), String(confidence), String(threshold)];
    const { stdout } = await run(python, args, { maxBuffer: 1 << 20 });
    const numpy = JSON.parse(stdout) as { seconds: number; cpu_seconds: number; intervals: Record<string, Interval> };

    const metrics: Record<string, BootstrapBenchMetric> = {};
    for (const name of METRIC_NAMES) {
      metrics[name] = { typescript: ours[name]!, numpy: numpy.intervals[name]!, agrees: agree(ours[name]!, numpy.intervals[name]!) };
    }
    const speedup = numpy.seconds / typescriptSeconds;
    const cpuSpeedup = numpy.cpu_seconds / typescriptCpuSeconds;
    const markdown = [
      `Paired bootstrap, ${rows.toLocaleString('en-US')} rows × ${resamples.toLocaleString('en-US')} resamples (accuracy, f1, roc_auc)`,
      '',
      '| implementation | wall seconds | CPU seconds |',
      '| --- | ---: | ---: |',
      `| ml-gitops (TypeScript) | ${typescriptSeconds.toFixed(2)} | ${typescriptCpuSeconds.toFixed(2)} |`,
      `| numpy, vectorised | ${numpy.seconds.toFixed(2)} | ${numpy.cpu_seconds.toFixed(2)} |`,
      `| **speed-up** | **${speedup.toFixed(1)}x** | **${cpuSpeedup.toFixed(1)}x** |`,
      '',
      '| metric | estimate | ml-gitops interval | numpy interval | agree (10% of width) |',
      '| --- | ---: | --- | --- | --- |',
      ...METRIC_NAMES.map((name) => {
        const { typescript: t, numpy: p, agrees } = metrics[name]!;
        return `| ${name} | ${format(t.estimate)} | [${format(t.lower)}, ${format(t.upper)}] | [${format(p.lower)}, ${format(p.upper)}] | ${agrees ? 'yes' : 'no'} |`;
      }),
    ].join('\n');
    return {
      rows,
      resamples,
      typescriptSeconds,
      numpySeconds: numpy.seconds,
      speedup,
      typescriptCpuSeconds,
      numpyCpuSeconds: numpy.cpu_seconds,
      cpuSpeedup,
      metrics,
      markdown,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function flagValue(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : Number(process.argv[index + 1]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = flagValue('rows');
  const resamples = flagValue('resamples');
  const result = await runBootstrapBench({ ...(rows === undefined ? {} : { rows }), ...(resamples === undefined ? {} : { resamples }) });
  console.log(result.markdown);
}
