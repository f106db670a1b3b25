/**
 * Benchmark of `evaluate-model`'s reading + metrics against pandas.read_csv + scikit-learn.
 *
 * Generates a binary predictions file (label, candidate score, champion score; 5,000,000 rows, about 100 MB, fixed
 * seed) under `.bench/`, then runs, one after the other, each in its own process so that its peak memory is its own:
 * - ours: this file bundled with ncc (as dist/ is) and run with `--child <csv>`: it reads the file with evaluate-model's
 *   reader and computes every binary metric of both models, and prints `{ seconds, maxRssBytes, candidate, champion }`;
 * - pandas: `bench/python/evaluate_pandas.py <csv>` (interpreter from ML_GITOPS_PYTHON, default `.venv/bin/python`).
 * Prints a markdown table of wall time, peak RSS, ratios and whether every metric value agrees to 1e-9.
 *
 * Standalone: `node_modules/.bin/node bench/evaluate.ts [--rows N]`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from '../src/lib/report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = path.join(ROOT, '.bench');
const DEFAULT_ROWS = 5_000_000;
const SEED = 20_240_601;
const TOLERANCE = 1e-9;

export interface EvaluateBenchSide {
  seconds: number;
  peakMegabytes: number;
  candidate: Record<string, number>;
  champion: Record<string, number>;
}

export interface EvaluateBenchResult {
  rows: number;
  fileMegabytes: number;
  ours: EvaluateBenchSide;
  pandas: EvaluateBenchSide;
  /** pandas seconds / our seconds: how many times faster we are. */
  speedup: number;
  /** our peak / pandas peak: the fraction of pandas' memory we use. */
  memoryRatio: number;
  /** Largest absolute difference over every metric of both models. */
  maxDifference: number;
  identical: boolean;
  table: string;
}

/** splitmix32: a small seeded generator, so the file is the same on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/**
 * Writes `rows` rows of `label,candidate,champion`: about 30% positives, scores that separate the classes imperfectly,
 * printed with 6 decimals so that ties occur (as with real, rounded scores).
 */
export async function generateBinaryPredictions(file: string, rows: number, seed = SEED): Promise<void> {
  const random = seededRandom(seed);
  const out = createWriteStream(file);
  const score = (label: number, strength: number): string => {
    const logit = (random() + random() + random() - 1.5) * 3 + (label === 1 ? strength : -strength);
    return (1 / (1 + Math.exp(-logit))).toFixed(6);
  };
  let chunk = 'label,candidate,champion\n';
  for (let row = 0; row < rows; row++) {
    const label = random() < 0.3 ? 1 : 0;
    chunk += `${label},${score(label, 1.3)},${score(label, 1.2)}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function ensureData(rows: number): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `binary-${rows}-${SEED}.csv`);
  if (!existsSync(file)) {
    const partial = `${file}.partial`;
    await generateBinaryPredictions(partial, rows);
    renameSync(partial, file);
  }
  return file;
}

interface ChildResult {
  seconds: number;
  maxRssBytes: number;
  candidate: Record<string, number>;
  champion: Record<string, number>;
}

/** Runs a process to its end; its stdout's last line is JSON. The wall time is measured from spawn to exit. */
async function runChild(command: string, args: string[]): Promise<{ wall: number; result: ChildResult }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  return { wall, result: JSON.parse(last) as ChildResult };
}

/**
 * The measured side of "ours", run in its own process: evaluate-model's reader and metrics (the functions the command
 * runs, with its column checks), reading the three columns and computing every binary metric of both models.
 */
async function childMain(file: string): Promise<void> {
  const started = performance.now();
  const { readPredictions } = await import('../src/commands/evaluate-model/read-predictions.ts');
  const { columnRequests } = await import('../src/commands/evaluate-model/columns.ts');
  const { computeMetrics } = await import('../src/lib/metrics/index.ts');
  // The same columns and value checks (labels 0/1, scores in [0, 1]) as the command.
  const requests = columnRequests('binary', { label: 'label', candidate: 'candidate', champion: 'champion', weight: undefined, slice: undefined });
  const table = await readPredictions({ path: file, display: file }, requests);
  const read = performance.now();
  const readRss = process.resourceUsage().maxRSS / 1024;
  const labels = table.flags.get('label') as Uint8Array;
  const metricsOf = (column: string): Record<string, number> =>
    computeMetrics({ task: 'binary', labels, scores: table.numbers.get(column) as Float64Array, threshold: 0.5 });
  const candidate = metricsOf('candidate');
  const champion = metricsOf('champion');
  const done = performance.now();
  process.stderr.write(
    `ours: read ${((read - started) / 1000).toFixed(2)} s (peak ${readRss.toFixed(0)} MB so far), metrics ${((done - read) / 1000).toFixed(2)} s\n`,
  );
  const result: ChildResult = {
    seconds: (done - started) / 1000,
    // resourceUsage().maxRSS is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    candidate,
    champion,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function pythonInterpreter(): string {
  return process.env.ML_GITOPS_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');
}

function maxDifference(a: ChildResult, b: ChildResult): number {
  let worst = 0;
  for (const side of ['candidate', 'champion'] as const) {
    const names = new Set([...Object.keys(a[side]), ...Object.keys(b[side])]);
    for (const name of names) {
      const x = a[side][name];
      const y = b[side][name];
      const difference = x === undefined || y === undefined ? Number.POSITIVE_INFINITY : Math.abs(x - y);
      worst = Math.max(worst, difference);
    }
  }
  return worst;
}

const megabytes = (bytes: number): number => bytes / (1024 * 1024);

type Ncc = (
  input: string,
  options: Record<string, unknown>,
) => Promise<{ code: string; assets?: Record<string, { source: string | Buffer }> }>;

/**
 * Bundles this file with ncc, as dist/ is built, so that our side runs as shipped: plain JavaScript, without the
 * memory Node's TypeScript stripping takes when it runs sources.
 */
async function bundleRunner(): Promise<string> {
  const require = createRequire(import.meta.url);
  const ncc = require('@vercel/ncc') as Ncc;
  const directory = path.join(BENCH_DIR, 'runner');
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const { code, assets } = await ncc(fileURLToPath(import.meta.url), { quiet: true, minify: false, sourceMap: false });
  writeFileSync(path.join(directory, 'index.mjs'), code);
  for (const [name, asset] of Object.entries(assets ?? {})) writeFileSync(path.join(directory, name), asset.source);
  return path.join(directory, 'index.mjs');
}

/** Generates the data (once), runs both sides one after the other and compares them. */
export async function runEvaluateBench(options: { rows?: number } = {}): Promise<EvaluateBenchResult> {
  const rows = options.rows ?? DEFAULT_ROWS;
  const file = await ensureData(rows);
  const runner = await bundleRunner();
  const oursRun = await runChild(process.execPath, [runner, '--child', file]);
  const pandasRun = await runChild(pythonInterpreter(), [path.join(ROOT, 'bench', 'python', 'evaluate_pandas.py'), file]);
  const side = (run: { wall: number; result: ChildResult }): EvaluateBenchSide => ({
    seconds: run.wall,
    peakMegabytes: megabytes(run.result.maxRssBytes),
    candidate: run.result.candidate,
    champion: run.result.champion,
  });
  const ours = side(oursRun);
  const pandas = side(pandasRun);
  const difference = maxDifference(oursRun.result, pandasRun.result);
  const speedup = pandas.seconds / ours.seconds;
  const memoryRatio = ours.peakMegabytes / pandas.peakMegabytes;
  const identical = difference <= TOLERANCE;
  const table = markdownTable(
    ['evaluate-model vs pandas + scikit-learn', 'ours', 'pandas', 'ratio', 'target', 'met'],
    [
      ['wall clock (s, process start to exit)', ours.seconds.toFixed(2), pandas.seconds.toFixed(2), `${speedup.toFixed(1)}x faster`, '≥ 10x faster', speedup >= 10 ? 'yes' : 'no'],
      ['peak RSS (MB)', ours.peakMegabytes.toFixed(0), pandas.peakMegabytes.toFixed(0), `${(memoryRatio * 100).toFixed(0)}% of pandas`, '≤ 25%', memoryRatio <= 0.25 ? 'yes' : 'no'],
      ['metric values (8 metrics × 2 models)', '', '', `max difference ${difference.toExponential(1)}`, '≤ 1e-9', identical ? 'yes' : 'no'],
    ],
  );
  return {
    rows,
    fileMegabytes: megabytes(statSync(file).size),
    ours,
    pandas,
    speedup,
    memoryRatio,
    maxDifference: difference,
    identical,
    table,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const childIndex = process.argv.indexOf('--child');
  if (childIndex > 0) {
    await childMain(process.argv[childIndex + 1] as string);
  } else {
    const rowsIndex = process.argv.indexOf('--rows');
    const rows = rowsIndex > 0 ? Number(process.argv[rowsIndex + 1]) : DEFAULT_ROWS;
    const result = await runEvaluateBench({ rows });
    console.log(`### evaluate-model: ${result.rows.toLocaleString('en-US')} binary rows (${result.fileMegabytes.toFixed(0)} MB CSV), all binary metrics for both models\n`);
    console.log(result.table);
  }
}
