/**
 * How an edit value is written in place of an existing flow scalar, or as the value of a created key, so that it
 * reads back as the intended type in both YAML 1.2 and YAML 1.1 readers, in the style the scalar already had when
 * that style can hold the value.
 */
import { doubleQuoted, isSafePlain, plainOrDoubleQuoted, readPlain11, readPlain12, singleQuoted } from './scalar-style.ts';
import type { PlainReading, ValueKind } from './scalar-style.ts';
import { inferredScalar, typedScalar } from './value.ts';
import type { EditValue, TypedScalar, ValueTag } from './value.ts';

export type FlowStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

export type YamlVersion = '1.1' | '1.2';

export interface Rendered {
  /** The scalar's new source text. */
  text: string;
  /** The value this document's parser loads from `text` (a `%YAML 1.1` document reads `no` as false). */
  loaded: unknown;
  /** Set when the value's type differs from the scalar's previous type. */
  typeChange?: { from: ValueKind; to: ValueKind };
  /** For a number written because of `!!int`/`!!float`: the tag it resolves to, since 3 and 3.0 load alike in JS. */
  numberTag?: string;
}

/** An untagged value that would silently change the type of a number or boolean. */
export interface TypeConflict {
  /** The scalar's current type, as the reader that sees one takes it. */
  kind: 'number' | 'boolean';
  /** True when only YAML 1.1 readers (Helm, PyYAML) see that type (`yes`, `1_000`). */
  yaml11Only: boolean;
  /** How each reader takes the new value. */
  value12: ValueKind;
  value11: ValueKind;
  /** The tag that would keep the type with this value, when there is one (`!!float` for 1e3, `!!bool` for yes). */
  keepTag: string | undefined;
}

export type RenderOutcome = { ok: true; rendered: Rendered } | { ok: false; conflict: TypeConflict };

function read(text: string, version: YamlVersion): PlainReading {
  return version === '1.1' ? readPlain11(text) : readPlain12(text);
}

/** The kind a reader that sees a type takes a plain scalar for (`yes` is a boolean: Helm reads it so). */
function plainKind(r12: PlainReading, r11: PlainReading): ValueKind {
  return r12.kind === 'string' ? r11.kind : r12.kind;
}

function withKindChange(rendered: Rendered, from: ValueKind, to: ValueKind): Rendered {
  return from === to ? rendered : { ...rendered, typeChange: { from, to } };
}

function typed(scalar: TypedScalar, version: YamlVersion, explicit: boolean): Rendered {
  const rendered: Rendered = { text: scalar.text, loaded: read(scalar.text, version).value };
  if (explicit && scalar.kind === 'number') rendered.numberTag = scalar.resolvedTag;
  return rendered;
}

/** A string in the scalar's own quote style, or plain when safe, else double-quoted. */
function stringIn(style: FlowStyle, text: string, inFlow: boolean): Rendered {
  if (style === 'QUOTE_DOUBLE') return { text: doubleQuoted(text), loaded: text };
  if (style === 'QUOTE_SINGLE') return { text: singleQuoted(text) ?? doubleQuoted(text), loaded: text };
  return { text: plainOrDoubleQuoted(text, inFlow), loaded: text };
}

function keepsType(tag: Exclude<ValueTag, 'str'>, text: string): boolean {
  try {
    typedScalar(tag, text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renders `value` in place of a flow scalar (plain or quoted) whose current source is `source`.
 * - `!!int`, `!!float`, `!!bool`, `!!null` write that type, plain, whatever the scalar held; `!!str` writes a string.
 * - Untagged, a quoted scalar stays a string in its quote style (single quotes switch to double when they cannot hold
 *   it), and a plain string stays a string: plain when safe, else double-quoted.
 * - Untagged, a null placeholder (`~`, `null`, empty) takes the type of the value, as a created key does.
 * - Untagged, a plain number or boolean keeps its type when both readers take the new value the same way as the old
 *   one (12 -> 13, true -> false, yes -> no); any other value is a conflict the caller refuses (`!!str` overrides).
 * - Untagged, any other plain scalar (a YAML 1.1 date) becomes a string, and `typeChange` says so.
 */
export function renderFlowScalar(
  style: FlowStyle,
  source: string,
  value: EditValue,
  inFlow: boolean,
  version: YamlVersion = '1.2',
): RenderOutcome {
  const old12 = readPlain12(source);
  const old11 = readPlain11(source);
  const oldKind = style === 'PLAIN' ? plainKind(old12, old11) : 'string';
  const text = value.text;
  if (value.tag !== undefined && value.tag !== 'str') {
    const scalar = typedScalar(value.tag, text);
    return { ok: true, rendered: withKindChange(typed(scalar, version, true), oldKind, scalar.kind) };
  }
  if (value.tag === 'str' || oldKind === 'string') {
    return { ok: true, rendered: withKindChange(stringIn(style, text, inFlow), oldKind, 'string') };
  }
  if (old12.kind === 'null' && old11.kind === 'null') {
    const inferred = inferredScalar(text);
    const rendered = inferred === undefined ? stringIn('PLAIN', text, inFlow) : typed(inferred, version, false);
    return { ok: true, rendered: withKindChange(rendered, 'null', inferred?.kind ?? 'string') };
  }
  const new12 = readPlain12(text);
  const new11 = readPlain11(text);
  if (isSafePlain(text, inFlow)) {
    const sameKinds = new12.kind === old12.kind && new11.kind === old11.kind;
    // `enabled: yes` (a bool only to YAML 1.1 readers) may become `false`, which every reader takes as a bool.
    const unambiguousOfOldKind =
      new12.kind === new11.kind && new12.kind !== 'string' && (new12.kind === old12.kind || new11.kind === old11.kind);
    // When both readers agree on the kind they must also agree on the value (017 is 17 in 1.2 but 15 in 1.1).
    const readersAgree = new12.kind !== new11.kind || Object.is(new12.value, new11.value);
    if ((sameKinds || unambiguousOfOldKind) && readersAgree) {
      return { ok: true, rendered: { text, loaded: version === '1.1' ? new11.value : new12.value } };
    }
  }
  if (oldKind === 'number' || oldKind === 'boolean') {
    const float = old12.tag?.endsWith(':float') === true || old11.tag?.endsWith(':float') === true;
    const tag: Exclude<ValueTag, 'str'> = oldKind === 'boolean' ? 'bool' : float ? 'float' : 'int';
    return {
      ok: false,
      conflict: {
        kind: oldKind,
        yaml11Only: old12.kind !== oldKind,
        value12: new12.kind,
        value11: new11.kind,
        keepTag: keepsType(tag, text) ? `!!${tag}` : undefined,
      },
    };
  }
  return { ok: true, rendered: withKindChange(stringIn('PLAIN', text, inFlow), oldKind, 'string') };
}

/** The value of a key `createMissing` adds: typed by its tag, else by `inferredScalar`, else a string. */
export function renderCreated(value: EditValue, version: YamlVersion = '1.2'): Rendered {
  if (value.tag !== undefined && value.tag !== 'str') return typed(typedScalar(value.tag, value.text), version, true);
  const inferred = value.tag === 'str' ? undefined : inferredScalar(value.text);
  return inferred === undefined ? stringIn('PLAIN', value.text, false) : typed(inferred, version, false);
}
