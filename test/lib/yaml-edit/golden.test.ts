import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseUpdateLine } from '../../../src/lib/manifest/update-line.ts';
import { editYamlText } from '../../../src/lib/yaml-edit/index.ts';
import { expectOnlySplicedBytesChanged } from './splices.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/yaml-edit/', import.meta.url));
const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function readCase(name: string) {
  const dir = join(fixtures, name);
  const input = readFileSync(join(dir, 'input.yaml'), 'utf8');
  const expected = readFileSync(join(dir, 'expected.yaml'), 'utf8');
  const edits = readFileSync(join(dir, 'edits.txt'), 'utf8')
    .split(/\r?\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => parseUpdateLine(line, number));
  const optionsFile = join(dir, 'options.json');
  const options = existsSync(optionsFile) ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as { createMissing?: boolean }) : {};
  return { input, expected, edits, options };
}

describe('golden fixtures', () => {
  it('has a case for every construct', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const name of cases) {
    describe(name, () => {
      const { input, expected, edits, options } = readCase(name);

      it('produces expected.yaml byte for byte', () => {
        const result = editYamlText(input, edits, { file: 'input.yaml', ...options });
        expect(result.text).toBe(expected);
        expect(result.changed).toBe(input !== expected);
      });

      it('changes no byte outside the edited ranges', () => {
        const result = editYamlText(input, edits, { file: 'input.yaml', ...options });
        expectOnlySplicedBytesChanged(input, result);
        // Line structure outside the edits survives: same line endings, BOM and final newline.
        expect(result.text.startsWith('\ufeff')).toBe(input.startsWith('\ufeff'));
        expect(result.text.endsWith('\n')).toBe(input.endsWith('\n'));
        expect(result.text.includes('\r\n')).toBe(input.includes('\r\n'));
        if (input.includes('\r\n')) expect(result.text.replaceAll('\r\n', '')).not.toContain('\n');
      });

      it('is idempotent: applying the edits again changes nothing', () => {
        const again = editYamlText(expected, edits, { file: 'input.yaml', ...options });
        expect(again.changed).toBe(false);
        expect(again.text).toBe(expected);
        expect(again.splices).toEqual([]);
        expect(again.applied.every((edit) => !edit.changed)).toBe(true);
      });
    });
  }
});
