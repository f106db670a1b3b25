import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../../../src/lib/metrics/index.ts';
import { orderByScore, rankingMetrics, type RankingSums } from '../../../src/lib/metrics/ranking.ts';
import { unweightedRankingMetrics } from '../../../src/lib/metrics/score-buckets.ts';

/** The index-sort path's values, which the bucketed path must reproduce to the last bit. */
function sorted(labels: Uint8Array, scores: Float64Array): RankingSums {
  const out = { rocAuc: 0, averagePrecision: 0 };
  rankingMetrics(orderByScore(labels, scores, 0.5), undefined, true, out);
  return out;
}

function bucketed(labels: Uint8Array, scores: Float64Array, chunkRows?: number): RankingSums {
  const out = { rocAuc: 0, averagePrecision: 0 };
  unweightedRankingMetrics(labels, scores, true, out, chunkRows);
  return out;
}

const score = fc.oneof(
  fc.double({ noNaN: true }),
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
  fc.integer({ min: 0, max: 1000 }).map((k) => 0.5 + k * 1e-15),
  fc.constantFrom(0, -0, 1, 0.5, -1, 1e-300, -1e-300, 5e-324, -5e-324, Infinity, -Infinity),
);

describe('unweightedRankingMetrics', () => {
  it('equals the index-sort pass exactly, for any scores, ties, -0 and chunk size', () => {
    const rows = fc.array(fc.record({ label: fc.constantFrom(0, 1), score }), { maxLength: 300 });
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 64 }), (data, chunkRows) => {
        const labels = Uint8Array.from(data, (r) => r.label);
        const scores = Float64Array.from(data, (r) => r.score);
        const expected = sorted(labels, scores);
        expect(bucketed(labels, scores)).toEqual(expected);
        expect(bucketed(labels, scores, chunkRows)).toEqual(expected);
      }),
    );
  });

  it('walks large buckets by high word or by sorting (scores in a narrow band, with few or full decimals)', () => {
    let state = 3;
    const uniform = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    for (const decimals of [5, 0]) {
      const n = 40_000;
      const labels = Uint8Array.from({ length: n }, () => (uniform() < 0.4 ? 1 : 0));
      const scores = Float64Array.from(labels, (label) => {
        const x = 0.5 + 0.01 * Math.min(1, 0.4 * label + 0.6 * uniform());
        return decimals === 0 ? x : Math.round(x * 10 ** decimals) / 10 ** decimals;
      });
      const expected = sorted(labels, scores);
      expect(bucketed(labels, scores)).toEqual(expected);
      expect(bucketed(labels, scores, 5000)).toEqual(expected);
    }
  });

  it('sorts large buckets of distinct and of repeated scores (rounded like real predictions)', () => {
    let state = 7;
    const uniform = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    for (const digits of [2, 3, 6, 0]) {
      const n = 20_000;
      const labels = Uint8Array.from({ length: n }, () => (uniform() < 0.3 ? 1 : 0));
      const scores = Float64Array.from(labels, (label) => {
        const x = Math.min(1, Math.max(0, 0.4 + 0.2 * label + 0.3 * (uniform() - 0.5)));
        return digits === 0 ? x : Math.round(x * 10 ** digits) / 10 ** digits;
      });
      const expected = sorted(labels, scores);
      expect(bucketed(labels, scores)).toEqual(expected);
      expect(bucketed(labels, scores, 1000)).toEqual(expected);
    }
  });

  it('gives NaN roc_auc and 0 average precision without positives, NaN roc_auc without negatives', () => {
    expect(bucketed(Uint8Array.from([0, 0]), Float64Array.from([0.2, 0.7]))).toEqual({ rocAuc: Number.NaN, averagePrecision: 0 });
    expect(bucketed(Uint8Array.from([1, 1]), Float64Array.from([0.2, 0.7]))).toEqual({ rocAuc: Number.NaN, averagePrecision: 1 });
    expect(bucketed(new Uint8Array(0), new Float64Array(0))).toEqual({ rocAuc: Number.NaN, averagePrecision: 0 });
  });

  it('is what computeMetrics uses for many unweighted rows, with the values of unit weights to the last bit', () => {
    let state = 11;
    const uniform = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const n = 70_000;
    const labels = Uint8Array.from({ length: n }, () => (uniform() < 0.3 ? 1 : 0));
    const scores = Float64Array.from(labels, (label) => Math.round(Math.min(1, Math.max(0, 0.35 + 0.3 * label + 0.5 * (uniform() - 0.5))) * 1e4) / 1e4);
    const data = { task: 'binary', labels, scores, threshold: 0.5 } as const;
    expect(computeMetrics(data)).toEqual(computeMetrics({ ...data, weights: new Float64Array(n).fill(1) }));
  });
});
