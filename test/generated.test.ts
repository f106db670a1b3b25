import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import fs from 'node:fs';
import { bundleAll, distDifferences } from '../scripts/bundle.ts';
import { staleGeneratedFiles } from '../scripts/generated-files.ts';
import { COMMANDS } from '../src/commands/index.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('generated files', () => {
  it('action.yml files, entry points, README tables and JSON Schemas match the command schemas', async () => {
    expect(await staleGeneratedFiles(root), 'run npm run generate').toEqual([]);
  });

  it('every action.yml declares exactly its command schema, on node24', () => {
    for (const command of COMMANDS) {
      const action = parse(fs.readFileSync(path.join(root, 'actions', command.name, 'action.yml'), 'utf8'));
      expect(action.runs).toEqual({ using: 'node24', main: `../../dist/${command.name}/index.js` });
      expect(Object.keys(action.inputs)).toEqual(Object.keys(command.inputs));
      expect(Object.keys(action.outputs)).toEqual(Object.keys(command.outputs));
    }
  });

  it('the committed dist/ is what npm run build produces from src/', { timeout: 600_000 }, async () => {
    expect(distDifferences(path.join(root, 'dist'), await bundleAll(root)), 'run npm run build and commit dist/').toEqual([]);
  });
});
