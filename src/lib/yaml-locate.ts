/**
 * Reading a user's YAML file (or inline YAML) so that every problem names the file and the line: syntax errors, and
 * zod issues traced back to the node they are about, with a did-you-mean for unknown keys. The evaluation policy's
 * loader shares `nodeOffset` with it.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { z } from 'zod';
import { UserError, type SourceLocation } from './errors.ts';
import { didYouMean } from './suggest.ts';

export type NodePath = readonly (string | number)[];

/** Where a YAML text came from, for messages. */
export interface YamlOrigin {
  /** What it is, in words: "analysis", "analysis template". */
  noun: string;
  /** The file as the user wrote it; undefined for inline YAML. */
  file: string | undefined;
  /** The input it came from (for the annotation). */
  input: string;
}

export interface LocatedYaml {
  readonly origin: YamlOrigin;
  /** The parsed value (`toJS()`) of the document. */
  readonly value: unknown;
  readonly document: Document;
  /** 1-based line and column of the node at `path` (for a path ending in a mapping key: the key). */
  position(path: NodePath): { line: number; column: number } | undefined;
  /** `file:line:column`, or `line N of the inline analysis`. */
  where(path: NodePath): string;
  location(path: NodePath): SourceLocation | undefined;
  /** A UserError "The <noun> at <where> <rest>" about the node at `path`. */
  error(path: NodePath, rest: string): UserError;
}

function describeWhere(origin: YamlOrigin, position: { line: number; column: number } | undefined): string {
  if (origin.file === undefined) return position === undefined ? `the inline ${origin.noun}` : `line ${position.line} of the inline ${origin.noun}`;
  return position === undefined ? origin.file : `${origin.file}:${position.line}:${position.column}`;
}

function toLocation(origin: YamlOrigin, position: { line: number; column: number } | undefined): SourceLocation | undefined {
  if (origin.file === undefined) return undefined;
  return position === undefined ? { file: origin.file } : { file: origin.file, line: position.line, column: position.column };
}

/** Offset of the node at `path`; for a path ending in a mapping key, the key itself; the deepest node found. */
export function nodeOffset(document: Document, nodePath: NodePath): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined = (node as { range?: [number, number, number] } | null)?.range?.[0];
  for (const step of nodePath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(step));
      if (pair === undefined) return offset;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

/**
 * Parses every document of `text` (a syntax error is a UserError naming the line); answers one LocatedYaml per
 * document, empty documents dropped.
 */
export function parseYamlDocuments(text: string, origin: YamlOrigin): LocatedYaml[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  const make = (document: Document): LocatedYaml => {
    const position = (nodePath: NodePath): { line: number; column: number } | undefined => {
      const offset = nodeOffset(document, nodePath);
      if (offset === undefined) return undefined;
      const at = lineCounter.linePos(offset);
      return { line: at.line, column: at.col };
    };
    return {
      origin,
      value: document.toJS() as unknown,
      document,
      position,
      where: (nodePath) => describeWhere(origin, position(nodePath)),
      location: (nodePath) => toLocation(origin, position(nodePath)),
      error: (nodePath, rest) =>
        new UserError(`The ${origin.noun} at ${describeWhere(origin, position(nodePath))} ${rest}`, {
          input: origin.input,
          ...(toLocation(origin, position(nodePath)) === undefined ? {} : { location: toLocation(origin, position(nodePath)) }),
        }),
    };
  };
  for (const document of list) {
    const syntaxError = document.errors[0];
    if (syntaxError === undefined) continue;
    const at = syntaxError.linePos?.[0];
    const position = at === undefined ? undefined : { line: at.line, column: at.col };
    const reason = (syntaxError.message.split('\n')[0] ?? syntaxError.message).replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
    throw new UserError(`The ${origin.noun} at ${describeWhere(origin, position)} is not valid YAML: ${reason}; fix the YAML syntax there.`, {
      input: origin.input,
      ...(toLocation(origin, position) === undefined ? {} : { location: toLocation(origin, position) }),
    });
  }
  return list.filter((document) => document.contents !== null).map(make);
}

/** The single document of `text` (an empty text is an empty mapping's worth: `value` undefined). */
export function parseYamlDocument(text: string, origin: YamlOrigin): LocatedYaml {
  const documents = parseYamlDocuments(text, origin);
  if (documents.length > 1) {
    throw documents[1]!.error([], `is a second YAML document; keep one document (no "---" separators) in the ${origin.noun}.`);
  }
  return documents[0] ?? parseYamlDocuments('{}', origin)[0]!;
}

// ---------------------------------------------------------------------------------------------------------------
// zod issues
// ---------------------------------------------------------------------------------------------------------------

/** The schema of the value at `nodePath` inside `schema`, unwrapping optional/default/pipe; undefined when lost. */
export function schemaAt(schema: z.ZodType, nodePath: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    for (let i = 0; i < 10; i++) {
      const def = (s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
      if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'readonly') && def.innerType) s = def.innerType;
      else if (def.type === 'pipe' && def.in) s = def.in;
      else break;
    }
    return s;
  };
  for (const step of nodePath) {
    if (current === undefined) return undefined;
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(step)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else return undefined;
  }
  return current === undefined ? undefined : unwrap(current);
}

/** The value at `nodePath` inside a parsed document, or undefined. */
export function valueAt(root: unknown, nodePath: readonly PropertyKey[]): unknown {
  let value = root;
  for (const step of nodePath) value = (value as Record<PropertyKey, unknown> | undefined)?.[step];
  return value;
}

/** `metrics[1].failure-limit` */
export function pathText(nodePath: readonly PropertyKey[]): string {
  if (nodePath.length === 0) return 'the top level';
  return nodePath.map((step, index) => (typeof step === 'number' ? `[${step}]` : `${index === 0 ? '' : '.'}${String(step)}`)).join('');
}

/** A value as a sentence names it: `a mapping`, `null`, `string "x"`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export interface DescribedIssue {
  /** The node the issue is about (for an unknown key: the key). */
  path: (string | number)[];
  /** The rest of a sentence that starts "The analysis at <where> ". */
  message: string;
}

/** The first issue of a failed parse of `root` by `schema`, as a sentence ending; unknown keys get a did-you-mean. */
export function describeZodIssue(issues: readonly z.core.$ZodIssue[], root: unknown, schema: z.ZodType): DescribedIssue {
  // A misspelt key also leaves the real key missing: report the spelling, which the did-you-mean fixes.
  const issue = (issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]) as z.core.$ZodIssue;
  const issuePath = issue.path.map((step) => (typeof step === 'number' ? step : String(step)));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const at = schemaAt(schema, issuePath);
    const allowed = at instanceof z.ZodObject ? Object.keys(at.shape) : [];
    const hint = didYouMean(key, allowed);
    const list = allowed.length > 0 ? `; the keys allowed there are ${allowed.map((k) => `"${k}"`).join(', ')}` : '; remove it';
    return { path: [...issuePath, key], message: `has an unknown key "${key}" in ${pathText(issuePath)}${hint}${list}.` };
  }
  const value = valueAt(root, issuePath);
  const last = issuePath[issuePath.length - 1];
  const field = typeof last === 'string' ? `"${last}"` : 'the value';
  let problem = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && value === undefined) problem = `${field} is missing`;
  else if (issue.code === 'invalid_type' && !issue.message.startsWith('Invalid input')) problem = `${field} ${issue.message}, not ${describeValue(value)}`;
  else if (issue.code === 'invalid_type') problem = `${field} must be a ${issue.expected}, not ${describeValue(value)}`;
  else if (issue.code === 'custom') problem = issue.message;
  else if (issue.code === 'invalid_value' && 'values' in issue) problem = `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${describeValue(value)}`;
  else problem = `${field} ${problem.charAt(0).toLowerCase()}${problem.slice(1)}`;
  return { path: issuePath, message: `has an invalid ${pathText(issuePath)}: ${problem.replace(/\.$/, '')}.` };
}

/** Validates the document's value with `schema`, throwing a UserError located at the first issue's node. */
export function parseWithSchema<T>(yaml: LocatedYaml, schema: z.ZodType<T>): T {
  const result = schema.safeParse(yaml.value ?? {});
  if (result.success) return result.data;
  const described = describeZodIssue(result.error.issues, yaml.value, schema);
  throw yaml.error(described.path, described.message);
}
