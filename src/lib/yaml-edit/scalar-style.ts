/**
 * How YAML 1.2 (the `yaml` package, Kustomize) and YAML 1.1 readers (Helm's Go yaml.v2, PyYAML) read a plain scalar,
 * and the quoting primitives that make a string read back as exactly its text in both.
 */
import { Schema, isScalar } from 'yaml';
import type { ParseOptions } from 'yaml';

export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'other';

export interface PlainReading {
  kind: ValueKind;
  value: unknown;
  /** The tag the schema resolved the text to (`tag:yaml.org,2002:int` ...); undefined when it stayed a string. */
  tag: string | undefined;
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
      return { kind: kindOf(value), value, tag: tag.tag };
    }
  }
  return { kind: 'string', value: text, tag: undefined };
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
