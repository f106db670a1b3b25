/**
 * `npm run generate` writes the files generated from the command schemas; `--check` lists stale ones and exits 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles, staleGeneratedFiles } from './generated-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv.includes('--check')) {
  const stale = await staleGeneratedFiles(root);
  if (stale.length > 0) {
    console.error(`These files are out of date with the command schemas; run npm run generate:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log('Generated files are up to date.');
} else {
  for (const [file, content] of await generatedFiles(root)) {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (!fs.existsSync(full) || fs.readFileSync(full, 'utf8') !== content) {
      fs.writeFileSync(full, content);
      console.log(`wrote ${file}`);
    }
  }
}
