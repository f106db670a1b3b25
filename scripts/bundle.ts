/** Bundling with ncc, shared by `npm run build` and the test that fails on a stale dist/. */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

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

/** One entry point bundled: its index.js and ncc's assets (the licence file), by path relative to its folder. */
export async function bundleEntry(root: string, entry: string): Promise<Record<string, string>> {
  const { code, assets } = await ncc(entry, { quiet: true, minify: false, sourceMap: false, license: 'licenses.txt' }).catch(
    (error: unknown) => {
      // ncc's errors carry its own minified source; the first lines hold the compiler's message.
      const message = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 12).join('\n');
      throw new Error(`ncc could not bundle ${path.relative(root, entry)}:\n${message}`);
    },
  );
  const files: Record<string, string> = { 'index.js': withCommonJsGlobals(code) };
  for (const [asset, { source }] of Object.entries(assets ?? {})) {
    files[asset] = typeof source === 'string' ? source : source.toString('utf8');
  }
  return files;
}

/**
 * Bundles one entry point in a child process and reads its files back. ncc (webpack) keeps what it compiled for the
 * life of the process, so eight bundles in one process outgrow the default heap; one process each also lets the two
 * cores bundle two at a time.
 */
async function bundleInChild(root: string, entry: string): Promise<Record<string, string>> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-bundle-'));
  const output = path.join(directory, 'files.json');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), root, entry, output], { stdio: ['ignore', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `bundling ${path.relative(root, entry)} exited with ${code}`))));
    });
    return JSON.parse(fs.readFileSync(output, 'utf8')) as Record<string, string>;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** Every file of dist/, by path relative to dist/, as ncc produces it (two entry points at a time). */
export async function bundleAll(root: string): Promise<Map<string, string>> {
  const entries = [...entryPoints(root)];
  const results = new Map<string, Record<string, string>>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const [name, entry] = entries[next++] as [string, string];
      results.set(name, await bundleInChild(root, entry));
    }
  };
  await Promise.all([worker(), worker()]);
  const files = new Map<string, string>();
  // In entry order, whatever order the children finished in.
  for (const [name] of entries) {
    for (const [file, content] of Object.entries(results.get(name) ?? {})) files.set(`${name}/${file}`, content);
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

// As a child of bundleAll: `node scripts/bundle.ts <root> <entry> <output.json>`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root, entry, output] = process.argv.slice(2) as [string, string, string];
  fs.writeFileSync(output, JSON.stringify(await bundleEntry(root, entry)));
}
