/**
 * The size of each committed action bundle (dist/<name>/index.js) and how many copies of undici it carries, so a
 * dependency that doubles a bundle shows up in `npm run bench`. Goal: at most 1 MB per action, one undici. The
 * `overrides` entry of package.json gives @actions/core and @actions/github our undici 7 instead of their own undici 6
 * (they use only `fetch` and `ProxyAgent`, which 7 keeps), so each bundle carries one copy.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** One class definition undici has exactly once per copy. */
const UNDICI_MARKER = 'class ConnectTimeoutError extends';

export interface BundleFacts {
  readonly name: string;
  readonly bytes: number;
  readonly undiciCopies: number;
}

export function bundleFacts(dist = path.join(ROOT, 'dist')): BundleFacts[] {
  return readdirSync(dist)
    .filter((name) => statSync(path.join(dist, name, 'index.js'), { throwIfNoEntry: false })?.isFile())
    .sort()
    .map((name) => {
      const file = path.join(dist, name, 'index.js');
      const text = readFileSync(file, 'utf8');
      return { name, bytes: statSync(file).size, undiciCopies: text.split(UNDICI_MARKER).length - 1 };
    });
}

export async function runBundlesBench(): Promise<{ table: string }> {
  const rows = bundleFacts().map(
    (facts) => `| \`dist/${facts.name}/index.js\` | ${(facts.bytes / 1_000_000).toFixed(2)} MB | ${facts.undiciCopies} | ${facts.bytes <= 1_000_000 ? 'yes' : 'no'} |`,
  );
  return { table: ['| bundle | size | undici copies | within 1 MB |', '| --- | --- | --- | --- |', ...rows].join('\n') };
}
