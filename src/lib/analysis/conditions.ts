/**
 * An AnalysisTemplate's `successCondition` / `failureCondition`, evaluated with jexl (a maintained expression
 * library; no parser of our own). Argo Rollouts evaluates them with expr-lang; the subset real templates use means the
 * same here:
 * - `result` is the query's values: `result[0]`, `len(result)`; a lone value also compares as itself
 *   (`result >= 0.8`, `isNaN(result)`), as Argo's scalar result does;
 * - `&&` / `and`, `||` / `or` (`&&` binding tighter, as in expr), `!` / `not`, comparisons, arithmetic, `? :`;
 * - Argo's functions `isNaN`, `isInf`, `isNil`, `default`, `asInt`, `asFloat`.
 * Reading a value the query did not return (`result[0]` of an empty answer) makes the measurement inconclusive (no
 * data) rather than comparing `undefined`; `len(result) == 0 || result[0] >= 0.95` still reads as written.
 */
import jexl from 'jexl';

/** The condition read a value the query did not return. */
export class NoDataError extends Error {
  override readonly name = 'NoDataError';
}

/** The condition is not an expression, or does not answer true or false. */
export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

type JexlInstance = InstanceType<typeof jexl.Jexl>;
type Element = JexlInstance['_grammar']['elements'][string];

/** The one value of `result` passed to a function (`isNaN(result)`); reading it goes through the proxy's checks. */
function single(value: unknown, fn: string): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length > 1) throw new ConditionError(`${fn}() got ${value.length} values; pass one, e.g. ${fn}(result[0])`);
  return (value as unknown as { [Symbol.toPrimitive]?: () => unknown })[Symbol.toPrimitive]?.() ?? value[0];
}

function createLanguage(): JexlInstance {
  const language = new jexl.Jexl();
  const elements = language._grammar.elements;
  // expr (and every C-like language) binds && tighter than ||; jexl gives both the same precedence.
  const and = elements['&&'] as Element & { precedence: number };
  const or = elements['||'] as Element & { precedence: number };
  and.precedence = 11;
  elements.and = { ...and };
  elements.or = { ...or };
  elements.not = { ...(elements['!'] as Element) };
  language.addFunctions({
    len: (value: unknown) => (Array.isArray(value) || typeof value === 'string' ? value.length : 0),
    isNaN: (value: unknown) => Number.isNaN(single(value, 'isNaN')),
    isInf: (value: unknown) => {
      const number = single(value, 'isInf');
      return number === Number.POSITIVE_INFINITY || number === Number.NEGATIVE_INFINITY;
    },
    isNil: (value: unknown) => value === undefined || value === null,
    default: (value: unknown, fallback: unknown) => (value === undefined || value === null ? fallback : value),
    asInt: (value: unknown) => Math.trunc(Number(single(value, 'asInt'))),
    asFloat: (value: unknown) => Number(single(value, 'asFloat')),
  });
  return language;
}

const language = createLanguage();

/**
 * `result` for a condition: the values, where a missing index is no data (not `undefined`) and the whole list used
 * as a number is its one value.
 */
function resultValue(values: readonly number[], state: { thrown?: Error }): readonly number[] {
  // jexl re-wraps errors thrown while it evaluates: remember ours so that evaluate() can throw them as they were.
  const raise = (error: Error): never => {
    state.thrown = error;
    throw error;
  };
  return new Proxy([...values], {
    get(target, property, receiver) {
      if (typeof property === 'string' && /^\d+$/.test(property) && Number(property) >= target.length) {
        raise(new NoDataError(`result[${property}] is not there: the query returned ${target.length} value${target.length === 1 ? '' : 's'}`));
      }
      if (property === Symbol.toPrimitive) {
        return () => {
          if (target.length === 0) raise(new NoDataError('the query returned no data'));
          if (target.length > 1) raise(new ConditionError(`result holds ${target.length} values; compare one of them, e.g. result[0]`));
          return target[0];
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

export interface CompiledCondition {
  readonly source: string;
  /** true or false for these values; throws NoDataError (inconclusive) or ConditionError. */
  evaluate(values: readonly number[]): boolean;
}

/** Compiles a condition; a syntax error is a ConditionError with jexl's words. */
export function compileCondition(source: string): CompiledCondition {
  let expression: ReturnType<JexlInstance['compile']>;
  try {
    expression = language.compile(source);
  } catch (error) {
    throw new ConditionError(error instanceof Error ? error.message : String(error));
  }
  return {
    source,
    evaluate(values) {
      let outcome: unknown;
      const state: { thrown?: Error } = {};
      try {
        outcome = expression.evalSync({ result: resultValue(values, state) });
      } catch (error) {
        if (state.thrown !== undefined) throw state.thrown;
        if (error instanceof NoDataError || error instanceof ConditionError) throw error;
        throw new ConditionError(error instanceof Error ? error.message : String(error));
      }
      if (typeof outcome !== 'boolean') {
        throw new ConditionError(`it answered ${JSON.stringify(outcome) ?? String(outcome)}, not true or false`);
      }
      return outcome;
    },
  };
}

export type ConditionPhase = 'successful' | 'failed' | 'inconclusive';

/**
 * Argo Rollouts' rule: with only a success condition, not meeting it fails; with only a failure condition, not
 * meeting it succeeds; with both, meeting neither is inconclusive; with neither, every measurement succeeds. The
 * failure condition is looked at first.
 */
export function evaluateConditions(values: readonly number[], success: CompiledCondition | undefined, failure: CompiledCondition | undefined): ConditionPhase {
  if (success === undefined && failure === undefined) return 'successful';
  let failed = failure === undefined ? undefined : failure.evaluate(values);
  let succeeded = success === undefined ? undefined : success.evaluate(values);
  if (failed === undefined) failed = !succeeded;
  if (succeeded === undefined) succeeded = !failed;
  if (failed) return 'failed';
  if (succeeded) return 'successful';
  return 'inconclusive';
}
