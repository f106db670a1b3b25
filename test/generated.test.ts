import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import fs from 'node:fs';
import { bundleAll, distDifferences } from '../scripts/bundle.ts';
import { COMMAND_BRANDING, staleGeneratedFiles } from '../scripts/generated-files.ts';
import { COMMANDS } from '../src/commands/index.ts';

const root = path.resolve(import.meta.dirname, '..');
const marketplace = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/marketplace-branding.json'), 'utf8')) as { icons: string[]; colors: string[] };

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

  it('every action.yml carries branding the Marketplace accepts', () => {
    const actionFiles = ['action.yml', ...COMMANDS.map((command) => `actions/${command.name}/action.yml`)];
    for (const file of actionFiles) {
      const { branding } = parse(fs.readFileSync(path.join(root, file), 'utf8')) as { branding?: { icon?: string; color?: string } };
      expect(Object.keys(branding ?? {}).sort(), `${file} branding`).toEqual(['color', 'icon']);
      expect(marketplace.icons, `${file}: icon "${branding?.icon}" is not a Marketplace icon`).toContain(branding?.icon);
      expect(marketplace.colors, `${file}: color "${branding?.color}" is not a Marketplace color`).toContain(branding?.color);
    }
    // Commands declared ahead of their code (the branding table) must be valid too.
    for (const [name, branding] of Object.entries(COMMAND_BRANDING)) {
      expect(marketplace.icons, `${name}: icon "${branding.icon}"`).toContain(branding.icon);
      expect(marketplace.colors, `${name}: color "${branding.color}"`).toContain(branding.color);
    }
  });

  it('the docs name only commands that exist', () => {
    // Every command of the suite's plan; a doc may name one only once it is in COMMANDS.
    const planned = ['evaluate-model', 'register-model', 'bump-manifest', 'open-promotion-pr', 'wait-for-argo-sync', 'rollback'];
    const existing = new Set(COMMANDS.map((command) => command.name));
    const docs = ['README.md', 'action.yml', ...COMMANDS.map((command) => `actions/${command.name}/README.md`)];
    for (const doc of docs) {
      const text = fs.readFileSync(path.join(root, doc), 'utf8');
      const missing = planned.filter((name) => !existing.has(name) && new RegExp(`(^|[^a-z-])${name}([^a-z-]|$)`).test(text));
      expect(missing, `${doc} names commands that do not exist yet`).toEqual([]);
    }
  });

  it('the committed dist/ is what npm run build produces from src/', { timeout: 600_000 }, async () => {
    expect(distDifferences(path.join(root, 'dist'), await bundleAll(root)), 'run npm run build and commit dist/').toEqual([]);
  });
});
