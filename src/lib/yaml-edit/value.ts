/**
 * The value of an edit: text, optionally preceded by a YAML tag (`!!int 3`, `!!str 12`), and the plain scalar text a
 * typed value is written as so that YAML 1.2 readers (the `yaml` package, Kustomize) and YAML 1.1 readers (Helm's Go
 * yaml.v2, PyYAML) all load the same type and the same value.
 */
import { readPlain11, readPlain12 } from './scalar-style.ts';
import type { PlainReading, ValueKind } from './scalar-style.ts';

export type ValueTag = 'str' | 'int' | 'float' | 'bool' | 'null';

export const VALUE_TAGS: readonly ValueTag[] = ['str', 'int', 'float', 'bool', 'null'];

export interface EditValue {
  /** The explicit tag the value starts with, if any. */
  tag: ValueTag | undefined;
  /**
   * The value without its tag. After `!!str` it is the text after the one space that ends the tag, exactly (so
   * `!!str  padded` keeps a space); after the other tags it is trimmed.
   */
  text: string;
}

/** A scalar written plain that every reader loads as the same typed value. */
export interface TypedScalar {
  /** The scalar's source text, e.g. `3`, `1.5`, `true`, `null`. */
  text: string;
  kind: Exclude<ValueKind, 'string' | 'other'>;
  /** What a YAML 1.2 reader loads (YAML 1.1 readers load the same). */
  value: unknown;
  /** The resolved tag, `tag:yaml.org,2002:int` or `...:float` for numbers: Go readers and JSON schemas tell them apart. */
  resolvedTag: string;
}

/** A value that cannot be written as asked; `reason` is a clause for the caller's sentence. */
export class ValueSyntaxError extends Error {
  override readonly name = 'ValueSyntaxError';
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

const YAML_TAG_PREFIX = 'tag:yaml.org,2002:';
const INT_TAG = `${YAML_TAG_PREFIX}int`;
const FLOAT_TAG = `${YAML_TAG_PREFIX}float`;
const COLLECTION_TAGS: Record<string, string> = { map: 'maps', omap: 'maps', pairs: 'maps', set: 'maps', seq: 'lists' };
const TAG_LIST = '!!str, !!int, !!float, !!bool or !!null';

/** `value` as shown inside a message: as is when it is one plain token, else as a JSON string. */
export function showValue(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 79)}…` : value;
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(short) && !short.includes('"') ? short : JSON.stringify(short);
}

/** The YAML name of a tag as written (`!!int`, `!<tag:yaml.org,2002:int>`), or undefined for other tags. */
function yamlTagName(tag: string): string | undefined {
  if (tag.startsWith('!!')) return tag.slice(2);
  const verbatim = /^!<tag:yaml\.org,2002:([^>]*)>$/.exec(tag);
  return verbatim?.[1];
}

/**
 * Reads the tag a value starts with. A value starting with `!` always starts with a tag, as it would in YAML; text
 * that starts with `!` is written `!!str !text`. Throws ValueSyntaxError for an unknown or non-scalar tag, or a
 * typed value its tag cannot take (`!!int abc`).
 */
export function parseEditValue(value: string): EditValue {
  if (!value.startsWith('!')) return { tag: undefined, text: value };
  const tag = /^!\S*/.exec(value)?.[0] ?? '!';
  const after = value.slice(tag.length);
  if (after !== '' && after[0] !== ' ' && after[0] !== '\t') {
    throw new ValueSyntaxError(`the tag ${tag} must be followed by a space before the value`);
  }
  const name = yamlTagName(tag);
  const collection = name === undefined ? undefined : COLLECTION_TAGS[name];
  if (collection !== undefined) {
    throw new ValueSyntaxError(`the tag ${tag} is for ${collection}, but an update sets one scalar value; use ${TAG_LIST}`);
  }
  if (name === undefined || !(VALUE_TAGS as readonly string[]).includes(name)) {
    throw new ValueSyntaxError(
      `the tag ${tag} is not one of ${TAG_LIST}; to store text that starts with "!", write !!str before it (!!str ${showValue(value)})`,
    );
  }
  const valueTag = name as ValueTag;
  const rest = after.slice(1);
  const parsed: EditValue = { tag: valueTag, text: valueTag === 'str' ? rest : rest.trim() };
  if (valueTag !== 'str') typedScalar(valueTag, parsed.text);
  return parsed;
}

function bothRead(text: string): [PlainReading, PlainReading] {
  return [readPlain12(text), readPlain11(text)];
}

function disagreement(text: string, [r12, r11]: [PlainReading, PlainReading]): ValueSyntaxError {
  return new ValueSyntaxError(
    `YAML 1.2 readers take ${showValue(text)} for ${String(r12.value)} and YAML 1.1 readers (Helm) for ${String(r11.value)}; write the number you mean in decimal`,
  );
}

/** A float's text that every reader takes for a float: a dot in the mantissa, a signed exponent (JS writes one). */
function floatText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  const [mantissa = '', exponent] = String(value).split('e');
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? withDot : `${withDot}e${exponent}`;
}

/** Floats PyYAML reads as floats too: its YAML 1.1 grammar wants a dot and a signed exponent (`1e3` is text to it). */
const STRICT_FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** The candidate text of `text` under `tag`, written as given when every reader already agrees on it. */
function candidateText(tag: Exclude<ValueTag, 'str'>, text: string): string {
  const readings = bothRead(text);
  const shown = showValue(text);
  switch (tag) {
    case 'int': {
      const ints = readings.filter((r) => r.tag === INT_TAG);
      if (ints.length === 0) throw new ValueSyntaxError(`!!int needs an integer, and ${shown} is not one`);
      if (ints.length === 2 && !Object.is(ints[0]?.value, ints[1]?.value)) throw disagreement(text, readings);
      const value = ints[0]?.value as number;
      if (ints.length === 2) return text;
      // Only one reader takes it for an integer (`1_000`, `0o17`): write the decimal both read.
      if (!Number.isSafeInteger(value)) throw new ValueSyntaxError(`${shown} is too large to convert exactly; write it in decimal`);
      return String(value);
    }
    case 'float': {
      const numbers = readings.filter((r) => r.kind === 'number');
      if (numbers.length === 0) throw new ValueSyntaxError(`!!float needs a number, and ${shown} is not one`);
      if (numbers.length === 2 && !Object.is(numbers[0]?.value, numbers[1]?.value)) throw disagreement(text, readings);
      const agreed = readings.every((r) => r.tag === FLOAT_TAG) && STRICT_FLOAT.test(text);
      return agreed ? text : floatText(numbers[0]?.value as number);
    }
    case 'bool': {
      const bools = readings.filter((r) => r.kind === 'boolean');
      if (bools.length === 0) throw new ValueSyntaxError(`!!bool needs true or false, and ${shown} is neither`);
      // `yes`, `on`, `y` are booleans to YAML 1.1 readers only: write the spelling every reader takes.
      return bools.length === 2 ? text : String(bools[0]?.value);
    }
    case 'null': {
      if (text === '') return 'null';
      const nulls = readings.filter((r) => r.kind === 'null');
      if (nulls.length === 0) throw new ValueSyntaxError(`!!null takes no value, and ${shown} is one; write !!null alone`);
      return nulls.length === 2 ? text : 'null';
    }
  }
}

/** The plain scalar for a value tagged `!!int`, `!!float`, `!!bool` or `!!null`. Throws ValueSyntaxError. */
export function typedScalar(tag: Exclude<ValueTag, 'str'>, text: string): TypedScalar {
  const candidate = candidateText(tag, text);
  const [r12, r11] = bothRead(candidate);
  const kind = ({ int: 'number', float: 'number', bool: 'boolean', null: 'null' } as const)[tag];
  const wantedTag = tag === 'int' ? INT_TAG : tag === 'float' ? FLOAT_TAG : r12.tag;
  if (r12.kind !== kind || r11.kind !== kind || r12.tag !== wantedTag || r11.tag !== wantedTag || !Object.is(r12.value, r11.value)) {
    throw new ValueSyntaxError(`${showValue(text)} cannot be written so that every YAML reader reads it as !!${tag}`);
  }
  return { text: candidate, kind, value: r12.value, resolvedTag: wantedTag ?? '' };
}

/**
 * The type an untagged value takes where no type exists yet (a created key, a null placeholder): a number or a
 * boolean only in the one spelling no reader can take for anything else — `true`, `false`, and numbers exactly as
 * JavaScript and JSON print them (`3`, `-4`, `1.5`, `0.75`; integers up to 2^53, which Helm's float64 keeps). Undefined
 * means a string: `1.10`, `2.0`, `007`, `1e3`, `0x1F`, `+3`, `1_000`, `yes`, `True`, `~`, `null` and dates stay text.
 */
export function inferredScalar(text: string): TypedScalar | undefined {
  if (text === 'true' || text === 'false') return { text, kind: 'boolean', value: text === 'true', resolvedTag: `${YAML_TAG_PREFIX}bool` };
  if (!/^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/.test(text)) return undefined;
  const value = Number(text);
  if (String(value) !== text || (Number.isInteger(value) && !Number.isSafeInteger(value))) return undefined;
  const [r12, r11] = bothRead(text);
  if (r12.kind !== 'number' || r11.kind !== 'number' || !Object.is(r12.value, value) || !Object.is(r11.value, value)) return undefined;
  if (r12.tag !== r11.tag || r12.tag === undefined) return undefined;
  return { text, kind: 'number', value, resolvedTag: r12.tag };
}
