/** The predictions reader: formats, compression, quoting, chunk boundaries and exact number conversion. */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPredictions, type ColumnRequest } from '../../../src/commands/evaluate-model/read-predictions.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { scratch, writeInto } from './helpers.ts';

const NUMBERS: ColumnRequest[] = [
  { name: 'label', kind: 'number', input: 'label-column' },
  { name: 'candidate', kind: 'number', input: 'candidate-column' },
];

async function read(name: string, text: string, requests: ColumnRequest[] = NUMBERS) {
  const dir = scratch();
  writeInto(dir, name, text);
  return readPredictions({ path: path.join(dir, name), display: name }, requests);
}

describe('readPredictions', () => {
  it('reads CSV with CRLF, a BOM, blank lines and columns it does not need', async () => {
    const table = await read('p.csv', '\uFEFFid,label,note,candidate\r\n7,1,x,0.25\r\n\r\n8,0,y,-1.5e-3\r\n');
    expect(table.columns).toEqual(['id', 'label', 'note', 'candidate']);
    expect(table.rows).toBe(2);
    expect([...table.numbers.get('label')!]).toEqual([1, 0]);
    expect([...table.numbers.get('candidate')!]).toEqual([0.25, -0.0015]);
    expect(table.numbers.has('id')).toBe(false);
  });

  it('reads quoted CSV through csv-parse, quoted header and embedded commas and line breaks included', async () => {
    const requests: ColumnRequest[] = [...NUMBERS, { name: 'slice', kind: 'text', input: 'slice-column' }];
    const table = await read('p.csv', '"label","candidate","slice"\n1,"0.5","eu, west"\n0,0.75,"multi\nline"\n1,1,plain\n', requests);
    expect(table.rows).toBe(3);
    expect([...table.numbers.get('candidate')!]).toEqual([0.5, 0.75, 1]);
    const slice = table.texts.get('slice')!;
    expect([...slice.codes].map((code) => slice.values[code])).toEqual(['eu, west', 'multi\nline', 'plain']);
  });

  it('names the line of a bad value in quoted CSV', async () => {
    const error = await read('p.csv', 'label,candidate\n1,"0.5"\n0,"oops"\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'Line 3 of p.csv has "oops" in column "candidate", which is not a number; write candidate values as plain decimal numbers such as 0.73.',
    );
  });

  it('reads TSV by extension and by content', async () => {
    const byName = await read('p.tsv', 'label\tcandidate\n1\t0.5\n');
    expect(byName.format).toBe('tsv');
    const byContent = await read('p.txt', 'label\tcandidate\n1\t0.5\n0\t0.25\n');
    expect(byContent.format).toBe('tsv');
    expect([...byContent.numbers.get('candidate')!]).toEqual([0.5, 0.25]);
  });

  it('detects JSON Lines and gzip by content', async () => {
    const dir = scratch();
    const { gzipSync } = await import('node:zlib');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'predictions.data'), gzipSync('{"label": 1, "candidate": "0.5"}\n{"label": 0, "candidate": 0.125}'));
    const table = await readPredictions({ path: path.join(dir, 'predictions.data'), display: 'predictions.data' }, NUMBERS);
    expect(table.format).toBe('jsonl');
    expect(table.gzip).toBe(true);
    expect([...table.numbers.get('candidate')!]).toEqual([0.5, 0.125]);
  });

  it('encodes text columns with a dictionary, numbers in JSON Lines included', async () => {
    const table = await read('p.jsonl', '{"label": 3, "candidate": "3"}\n{"label": "cat", "candidate": 3}\n', [
      { name: 'label', kind: 'text', input: 'label-column' },
      { name: 'candidate', kind: 'text', input: 'candidate-column' },
    ]);
    expect(table.texts.get('label')).toEqual({ codes: new Int32Array([0, 1]), values: ['3', 'cat'] });
    expect(table.texts.get('candidate')).toEqual({ codes: new Int32Array([0, 0]), values: ['3'] });
  });

  it('keeps flags in a Uint8Array', async () => {
    const table = await read('p.csv', 'label,candidate\n1,0.5\n0,0.25\n', [{ name: 'label', kind: 'flag', input: 'label-column' }, NUMBERS[1]!]);
    expect(table.flags.get('label')).toEqual(new Uint8Array([1, 0]));
    const error = await read('p.csv', 'label,candidate\n1,0.5\n1.5,0.25\n', [{ name: 'label', kind: 'flag', input: 'label-column' }, NUMBERS[1]!]).catch((e: unknown) => e);
    expect((error as UserError).message).toBe('Line 3 of p.csv has 1.5 in column "label", which is neither 0 nor 1.');
  });

  it('reads across chunk boundaries, growing its columns, with every value exact', async () => {
    const rows = 120_000;
    const values: number[] = [];
    let text = 'label,candidate\n';
    for (let i = 0; i < rows; i++) {
      // Short literals (the exact fast path) and 17-digit ones (Number()).
      const value = i % 3 === 0 ? Math.sin(i) : Number((i / 7).toFixed(i % 9));
      values.push(value);
      text += `${i % 2},${String(value)}\n`;
    }
    const dir = scratch();
    writeInto(dir, 'big.csv.gz', text);
    const table = await readPredictions({ path: path.join(dir, 'big.csv.gz'), display: 'big.csv.gz' }, NUMBERS);
    expect(table.rows).toBe(rows);
    expect(table.numbers.get('candidate')).toEqual(new Float64Array(values));
    const plain = await read('big.csv', text);
    expect(plain.numbers.get('candidate')).toEqual(new Float64Array(values));
  });

  it('converts every decimal literal exactly as Number() does', async () => {
    const literal = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
      fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 0, max: 12 })).map(([m, d]) => (m / 10 ** d).toFixed(d)),
      fc.tuple(fc.integer({ min: 0, max: 999999999 }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => `${m}e${e}`),
      fc.tuple(fc.nat(), fc.nat({ max: 20 })).map(([m, z]) => `0.${'0'.repeat(z)}${m}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(literal, { minLength: 1, maxLength: 200 }), async (literals) => {
        const table = await read('p.csv', `label,candidate\n${literals.map((l) => `0,${l}`).join('\n')}\n`);
        expect([...table.numbers.get('candidate')!]).toEqual(literals.map(Number));
      }),
      { numRuns: 40 },
    );
  });
});
