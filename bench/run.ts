/**
 * `npm run bench`: every benchmark side by side with the peer tool it must beat, in one run, reported as ratios.
 * `npm run bench -- evaluate bootstrap` runs only the named ones; `--quick` uses small sizes for a smoke run.
 */
import { ensurePythonVenv } from '../test/support/python.ts';
import { runArgoWaitBench } from './argo-wait.ts';
import { runBootstrapBench } from './bootstrap.ts';
import { runBumpBench } from './bump.ts';
import { runBundlesBench } from './bundles.ts';
import { runEvaluateBench } from './evaluate.ts';
import { runPromotionBench } from './promotion-pr.ts';
import { runRegisterBench } from './register.ts';

const quick = process.argv.includes('--quick');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const BENCHES: Record<string, { title: string; run: () => Promise<{ table: string }> }> = {
  evaluate: {
    title: 'evaluate-model: all binary metrics of two models on 5,000,000 rows, against pandas.read_csv + scikit-learn',
    run: () => runEvaluateBench(quick ? { rows: 200_000 } : {}),
  },
  bootstrap: {
    title: 'evaluate-model: paired bootstrap, 1,000 resamples over 1,000,000 rows (accuracy, f1, roc_auc), against numpy',
    run: async () => ({ table: (await runBootstrapBench(quick ? { rows: 100_000, resamples: 200 } : {})).markdown }),
  },
  bump: {
    title: 'bump-manifest: 200 edits across 100 of 2,000 manifest files, against mikefarah yq -i',
    run: () => runBumpBench({ log }),
  },
  register: {
    title: 'register-model: requests per registration, MLflow server and file registry',
    run: () => runRegisterBench(),
  },
  'argo-wait': {
    title: 'wait-for-argo-sync: detection latency (the last app turns Healthy at the pushed commit -> the wait returns), 1 and 50 apps, against a 5 s polling loop on the same Argo CD simulator',
    run: () => runArgoWaitBench(quick ? { iterations: 3, pollingIterations: 2 } : {}),
  },
  'promotion-pr': {
    title: 'open-promotion-pr: requests per run (created, updated, unchanged), against peter-evans/create-pull-request',
    run: () => runPromotionBench(),
  },
  bundles: {
    title: 'action bundles: size and undici copies per bundle (goal: at most 1 MB, one undici)',
    run: () => runBundlesBench(),
  },
};

/** The Python peers (pandas, scikit-learn, numpy, MLflow) come from the same git-ignored venv as the tests' MLflow. */
const PYTHON_BENCHES = new Set(['evaluate', 'bootstrap', 'register']);

const selected = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const unknown = selected.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; the benchmarks are ${Object.keys(BENCHES).join(', ')}.`);
  process.exit(2);
}
const names = selected.length > 0 ? selected : Object.keys(BENCHES);
if (process.env.ML_GITOPS_PYTHON === undefined && names.some((name) => PYTHON_BENCHES.has(name))) {
  log('preparing the Python venv of the peers (.venv; the first time takes about 2 minutes)...');
  try {
    process.env.ML_GITOPS_PYTHON = (await ensurePythonVenv()).python;
  } catch (error) {
    console.error(`The Python peers could not be set up: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(1);
  }
}
for (const name of names) {
  const bench = BENCHES[name] as (typeof BENCHES)[string];
  log(`running ${name}...`);
  const result = await bench.run();
  console.log(`\n### ${bench.title}\n\n${result.table}\n`);
}
