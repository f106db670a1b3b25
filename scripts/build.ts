/**
 * `npm run build` bundles every entry point in src/entrypoints/ into dist/<name>/index.js with ncc (one bundle per
 * action, plus `main` for the root action and `cli` for the `ml-gitops` binary). `--check` rebuilds in memory and
 * exits 1 when the committed dist/ differs, so a stale bundle can never be released.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAll, distDifferences } from './bundle.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const bundles = await bundleAll(root);

if (process.argv.includes('--check')) {
  const differences = distDifferences(dist, bundles);
  if (differences.length > 0) {
    console.error(`dist/ is out of date with src/; run npm run build and commit dist/:\n  ${differences.join('\n  ')}`);
    process.exit(1);
  }
  console.log('dist/ is up to date.');
} else {
  fs.rmSync(dist, { recursive: true, force: true });
  for (const [file, content] of bundles) {
    const full = path.join(dist, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    // The CLI bundle is the package's `bin`: it must be executable in a checkout too.
    fs.writeFileSync(full, content, { mode: file === 'cli/index.js' ? 0o755 : 0o644 });
  }
  console.log(`built ${[...new Set([...bundles.keys()].map((f) => f.split('/')[0]))].join(', ')}`);
}
