/** Bundling with ncc, shared by `npm run build` and the test that fails on a stale dist/. */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

type Ncc = (
  input: string,
  options: Record<string, unknown>,
) => Promise<{ code: string; assets?: Record<string, { source: string | Buffer }> }>;

const require = createRequire(import.meta.url);
const ncc = require('@vercel/ncc') as Ncc;

/** The entry points: one per action (generated), `main` (root action) and `cli`. */
export function entryPoints(root: string): Map<string, string> {
  const directory = path.join(root, 'src', 'entrypoints');
  const entries = new Map<string, string>();
  for (const file of fs.readdirSync(directory).sort()) {
    if (file.endsWith('.ts')) entries.set(file.slice(0, -3), path.join(directory, file));
  }
  return entries;
}

/**
 * CommonJS dependencies bundled into an ES module still read `__filename`/`__dirname` (write-file-atomic names its
 * temporary files after it); ES modules have neither, so each bundle defines them for its own file.
 */
const COMMONJS_GLOBALS = [
  "import { fileURLToPath as __mlGitopsFileURLToPath } from 'node:url';",
  "import { dirname as __mlGitopsDirname } from 'node:path';",
  'const __filename = __mlGitopsFileURLToPath(import.meta.url);',
  'const __dirname = __mlGitopsDirname(__filename);',
].join('\n');

function withCommonJsGlobals(code: string): string {
  const shebang = code.startsWith('#!') ? code.slice(0, code.indexOf('\n') + 1) : '';
  return `${shebang}${COMMONJS_GLOBALS}\n${code.slice(shebang.length)}`;
}

/** Every file of dist/, by path relative to dist/, as ncc produces it. */
export async function bundleAll(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [name, entry] of entryPoints(root)) {
    const { code, assets } = await ncc(entry, { quiet: true, minify: false, sourceMap: false, license: 'licenses.txt' }).catch(
      (error: unknown) => {
        // ncc's errors carry its own minified source; the first lines hold the compiler's message.
        const message = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 12).join('\n');
        throw new Error(`ncc could not bundle ${path.relative(root, entry)}:\n${message}`);
      },
    );
    files.set(`${name}/index.js`, withCommonJsGlobals(code));
    for (const [asset, { source }] of Object.entries(assets ?? {})) {
      files.set(`${name}/${asset}`, typeof source === 'string' ? source : source.toString('utf8'));
    }
  }
  return files;
}

function listFiles(directory: string, prefix = ''): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(directory, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/** Paths under dist/ that are missing, extra or different from a fresh bundle. */
export function distDifferences(dist: string, bundles: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [file, content] of bundles) {
    const full = path.join(dist, file);
    if (!fs.existsSync(full)) differences.push(`dist/${file} (missing)`);
    else if (fs.readFileSync(full, 'utf8') !== content) differences.push(`dist/${file} (differs)`);
  }
  for (const file of listFiles(dist)) {
    if (!bundles.has(file)) differences.push(`dist/${file} (not built from src/entrypoints)`);
  }
  return differences;
}
