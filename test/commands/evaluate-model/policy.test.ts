/** The policy: file or inline, the zod schema, its JSON Schema and its messages. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadPolicy, parsePolicy, policySchema } from '../../../src/commands/evaluate-model/policy.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { scratch, writeInto } from './helpers.ts';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error('no error');
}

describe('evaluation policy', () => {
  it('reads a single line naming an existing file as a file, anything else as inline YAML', () => {
    const dir = scratch();
    writeInto(dir, 'eval.yml', 'rules:\n  - metric: f1\n    min: 0.5\n');
    const fromFile = loadPolicy('eval.yml', dir);
    expect(fromFile.file).toBe('eval.yml');
    expect(fromFile.policy.rules).toEqual([{ metric: 'f1', min: 0.5 }]);
    const oneLine = loadPolicy('{rules: [{metric: f1, min: 0.5}]}', dir);
    expect(oneLine.file).toBeUndefined();
    expect(oneLine.display).toBe('the inline policy');
    expect(oneLine.policy.rules).toEqual([{ metric: 'f1', min: 0.5 }]);
    const multiLine = loadPolicy('rules:\n  - metric: f1\n    min: 0.5\n', path.join(dir, 'elsewhere'));
    expect(multiLine.policy.rules).toEqual([{ metric: 'f1', min: 0.5 }]);
  });

  it('fills in the significance and slice defaults', () => {
    const { policy } = parsePolicy('significance: {}\nslices:\n  rules:\n    - metric: accuracy\n      max_regression: 1%\n', 'p.yml', 'p.yml');
    expect(policy.significance).toEqual({ confidence: 0.95, resamples: 1000, seed: 1 });
    expect(policy.slices).toEqual({ min_rows: 100, rules: [{ metric: 'accuracy', max_regression: '1%' }] });
    expect(policy.rules).toEqual([]);
  });

  it('explains invalid values with their place', () => {
    expect(messageOf(() => parsePolicy('significance:\n  confidence: 95\n', 'p.yml', 'p.yml'))).toBe(
      'The policy at p.yml:2:3 has an invalid significance.confidence: "confidence" must be between 0 and 1, such as 0.95.',
    );
    expect(messageOf(() => parsePolicy('rules:\n  - metric: f1\n    min_improvement: lots\n', 'p.yml', 'p.yml'))).toBe(
      'The policy at p.yml:3:5 has an invalid rules[0].min_improvement: "min_improvement" must be a number or a percentage such as "1%".',
    );
    expect(messageOf(() => parsePolicy('rules:\n  - all:\n      - metric: f1\n        min: 1\n    metric: f1\n', 'p.yml', 'p.yml'))).toBe(
      'The policy at p.yml:5:5 has an unknown key "metric" in rules[0]; the keys allowed there are "all".',
    );
    expect(messageOf(() => parsePolicy('rules:\n  - 0.8\n', 'p.yml', 'p.yml'))).toBe(
      'The policy at p.yml:2:5 has number 0.8 where a rule belongs (rules[0]); a rule is a mapping with "metric:" and one bound, or an "any:" or "all:" list.',
    );
    expect(messageOf(() => parsePolicy('- metric: f1\n', 'p.yml', 'p.yml'))).toBe(
      'The policy at p.yml:1 is not a mapping; write it as keys such as "rules:" and "significance:".',
    );
    expect(messageOf(() => parsePolicy('rules:\n  - metric: f1\n    min: 1\n  - any: []\n', 'the inline policy', undefined))).toBe(
      'The policy at line 4 of the inline policy has an invalid rules[1].any: "any" too small: expected array to have >=1 items.',
    );
  });

  it('converts to a JSON Schema for editors', () => {
    const schema = z.toJSONSchema(policySchema, { io: 'input' }) as Record<string, unknown>;
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties as object)).toEqual(['significance', 'rules', 'slices']);
    const text = JSON.stringify(schema);
    expect(text).toContain('"min_improvement"');
    expect(text).toContain('"any"');
    expect(text).toContain('%');
  });
});
