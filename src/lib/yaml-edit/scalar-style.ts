/**
 * How a new value is written in place of an existing scalar so that it reads back as the intended type in both
 * YAML 1.2 (the `yaml` package, Kustomize) and YAML 1.1 readers (Helm's Go yaml.v2, PyYAML), in the style the
 * scalar already had when that style can hold the value.
 */
import { Schema, isScalar } from 'yaml';
import type { ParseOptions } from 'yaml';

export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'other';

export interface PlainReading {
  kind: ValueKind;
  value: unknown;
}

const core = new Schema({ schema: 'core' });
const yaml11 = new Schema({ schema: 'yaml-1.1' });
const resolveOptions = { intAsBigInt: false } as ParseOptions;

function kindOf(value: unknown): ValueKind {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'other';
}

/** What a reader using `schema` makes of `text` written as a plain scalar (the schema's own resolution rules). */
function readPlainWith(schema: Schema, text: string): PlainReading {
  for (const tag of schema.tags) {
    if (tag.default !== true || !('test' in tag) || tag.test === undefined) continue;
    if (tag.test.test(text)) {
      const resolved = tag.resolve(text, () => undefined, resolveOptions);
      // Some tags (null, bool) resolve to a Scalar wrapper rather than the bare value.
      const value = isScalar(resolved) ? resolved.value : resolved;
      return { kind: kindOf(value), value };
    }
  }
  return { kind: 'string', value: text };
}

export function readPlain12(text: string): PlainReading {
  return readPlainWith(core, text);
}

export function readPlain11(text: string): PlainReading {
  return readPlainWith(yaml11, text);
}

/**
 * Whether `text` holds a character YAML does not allow unescaped: controls other than tab and line breaks, DEL, C1
 * controls, a BOM, the non-characters U+FFFE/U+FFFF, or a lone surrogate.
 */
export function hasNonPrintable(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return true;
    if ((code >= 0x7f && code <= 0x9f) || code === 0xfeff || code === 0xfffe || code === 0xffff) return true;
    if (code >= 0xd800 && code <= 0xdfff) return true;
  }
  return false;
}

const FLOW_INDICATORS = ',[]{}';

/**
 * Whether `text` can be written as a plain scalar value and read back as exactly this text's characters (types are
 * checked separately). Deliberately conservative: anything doubtful is quoted.
 */
export function isSafePlain(text: string, inFlow: boolean): boolean {
  if (text === '' || hasNonPrintable(text) || /[\t\n\r\u2028\u2029\u0085]/.test(text)) return false;
  if (text !== text.trim()) return false;
  const first = text[0] ?? '';
  if ('#&*!|>\'"%@`{}[],?:'.includes(first)) return false;
  if (first === '-') {
    const second = text[1];
    if (second === undefined || second === ' ' || (inFlow && FLOW_INDICATORS.includes(second))) return false;
  }
  if (text.startsWith('---') || text.startsWith('...')) return false;
  // YAML 1.1 gives `=` (the "value" type) and `<<` (merge) special meanings that PyYAML cannot load as plain values.
  if (text === '=' || text === '<<') return false;
  if (text.includes(': ') || text.endsWith(':') || text.includes(' #')) return false;
  if (inFlow && (/[,[\]{}]/.test(text) || text.includes(':'))) return false;
  return true;
}

/** Whether both readers take `text` as the string `text` itself. */
export function readsAsString(text: string): boolean {
  return readPlain12(text).kind === 'string' && readPlain11(text).kind === 'string';
}

/** A YAML double-quoted scalar for `value`. JSON strings are valid YAML; the remaining non-printables are escaped. */
export function doubleQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\x7f-\x9f\u2028\u2029\u0085\ufeff\ufffe\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A YAML single-quoted scalar for `value`, or undefined when the style cannot hold it on one line. */
export function singleQuoted(value: string): string | undefined {
  if (hasNonPrintable(value) || /[\n\r\u2028\u2029\u0085]/.test(value)) return undefined;
  return `'${value.replaceAll("'", "''")}'`;
}

/** A string scalar in the plain style when safe, else double-quoted. */
export function plainOrDoubleQuoted(value: string, inFlow: boolean): string {
  return isSafePlain(value, inFlow) && readsAsString(value) ? value : doubleQuoted(value);
}

export type FlowStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

export interface Rendered {
  /** The scalar's new source text. */
  text: string;
  /** The value a YAML 1.2 reader loads from `text`. */
  loaded: unknown;
  /** Set when the value's type differs from the scalar's previous type. */
  typeChange?: { from: ValueKind; to: ValueKind };
}

/**
 * Renders `value` in place of a flow scalar (plain or quoted) whose current source is `source`.
 * - A quoted scalar stays a string in its quote style (single quotes switch to double when they cannot hold it).
 * - A plain scalar that both readers take as a string stays a string: plain when safe, else double-quoted.
 * - A plain scalar that a reader takes as a number, bool or null keeps that type when both readers take the new value
 *   the same way as the old one (e.g. 12 -> 13, true -> false, yes -> no); otherwise the value becomes a string and
 *   `typeChange` says so (e.g. tag: 12 -> v1.5.0).
 */
export function renderFlowScalar(
  style: FlowStyle,
  source: string,
  value: string,
  inFlow: boolean,
  documentVersion: '1.1' | '1.2' = '1.2',
): Rendered {
  if (style === 'QUOTE_DOUBLE') return { text: doubleQuoted(value), loaded: value };
  if (style === 'QUOTE_SINGLE') return { text: singleQuoted(value) ?? doubleQuoted(value), loaded: value };
  const old12 = readPlain12(source);
  const old11 = readPlain11(source);
  if (old12.kind === 'string' && old11.kind === 'string') {
    return { text: plainOrDoubleQuoted(value, inFlow), loaded: value };
  }
  if (isSafePlain(value, inFlow)) {
    const new12 = readPlain12(value);
    const new11 = readPlain11(value);
    const sameKinds = new12.kind === old12.kind && new11.kind === old11.kind;
    // `enabled: yes` (a bool only to YAML 1.1 readers) may become `false`, which every reader takes as a bool.
    const unambiguousOfOldKind =
      new12.kind === new11.kind && new12.kind !== 'string' && (new12.kind === old12.kind || new11.kind === old11.kind);
    // When both readers agree on the kind they must also agree on the value (017 is 17 in 1.2 but 15 in 1.1).
    const readersAgree = new12.kind !== new11.kind || Object.is(new12.value, new11.value);
    if ((sameKinds || unambiguousOfOldKind) && readersAgree) {
      // `loaded` is what this document's own parser reads: a `%YAML 1.1` document reads `no` as false.
      return { text: value, loaded: documentVersion === '1.1' ? new11.value : new12.value };
    }
  }
  return {
    text: plainOrDoubleQuoted(value, inFlow),
    loaded: value,
    typeChange: { from: old12.kind === 'string' ? old11.kind : old12.kind, to: 'string' },
  };
}
