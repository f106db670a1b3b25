import { UserError } from '../errors.ts';
import { parseSelector, SelectorSyntaxError } from '../yaml-edit/selector.ts';
import { parseEditValue, ValueSyntaxError } from '../yaml-edit/value.ts';

/** One parsed line of the `updates` input: `<file>:<selector>=<value>`. */
export interface UpdateSpec {
  file: string;
  selector: string;
  /** The value as the editor takes it: quotes decoded, a leading tag kept (`!!int 3`, `!!str   padded`). */
  value: string;
  /** The 1-based line number in the `updates` input. */
  line?: number;
}

const FORMAT_HINT = 'write <file>:<selector>=<value>, e.g. values.yaml:image.tag=v1.2.0';

/** Index of the first `=` outside brackets and double quotes, or -1. */
function findSplit(text: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i += 1;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '[') depth += 1;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === '=' && depth === 0) return i;
  }
  return -1;
}

/** A double-quoted value (`"  padded "`) decoded as a JSON string; undefined when `text` is not wrapped in quotes. */
function decodeQuoted(text: string, where: string, fail: (message: string) => never): string | undefined {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return undefined;
  try {
    return JSON.parse(text) as string;
  } catch {
    return fail(
      `${where}: the quoted value ${text} is not a valid double-quoted string; escape inner quotes as \\" and backslashes as \\\\.`,
    );
  }
}

/**
 * Parses one `<file>:<selector>=<value>` line of the input named `input` (`updates`). The file ends at the first ':'; selector and value split at the first
 * '=' outside brackets and double quotes. Surrounding spaces are trimmed; a value wrapped in double quotes keeps them
 * (it is read as a JSON string, so `\"`, `\\`, `\n`, `\t` and `\uXXXX` are escapes). The value may start with a
 * tag, `!!str`, `!!int`, `!!float`, `!!bool` or `!!null` (`!!int 3`, `!!str "  padded "`), and a value starting with `!`
 * always does, as in YAML (text starting with `!` is written `!!str !text`). The selector's syntax, the tag and the
 * tagged value (`!!int abc`) are checked here so a typo fails before any file is read.
 */
export function parseUpdateLine(line: string, lineNumber: number, input = 'updates'): UpdateSpec {
  const where = `${input} line ${lineNumber}`;
  const fail = (message: string): never => {
    throw new UserError(message, { input });
  };
  const colon = line.indexOf(':');
  if (colon === -1) fail(`${where} ("${line.trim()}") has no ":" after the file name: ${FORMAT_HINT}.`);
  const file = line.slice(0, colon).trim();
  if (file === '') fail(`${where} ("${line.trim()}") has no file before ":": ${FORMAT_HINT}.`);
  const rest = line.slice(colon + 1);
  const eq = findSplit(rest);
  if (eq === -1) {
    // An unclosed bracket or quote hides the '=': report that, it is the real mistake.
    const unsplit = rest.trim();
    try {
      parseSelector(unsplit);
    } catch (error) {
      if (error instanceof SelectorSyntaxError && /unclosed/.test(error.reason)) {
        fail(`${where}: the selector "${unsplit}" is malformed: ${error.reason} at column ${error.column}.`);
      }
    }
  }
  if (eq === -1) fail(`${where} ("${line.trim()}") has no "=" between the selector and the value: ${FORMAT_HINT}.`);
  const selector = rest.slice(0, eq).trim();
  if (selector === '') fail(`${where} ("${line.trim()}") has no selector between ":" and "=": ${FORMAT_HINT}.`);
  try {
    parseSelector(selector);
  } catch (error) {
    if (!(error instanceof SelectorSyntaxError)) throw error;
    fail(`${where}: the selector "${selector}" is malformed: ${error.reason} at column ${error.column}.`);
  }
  let value = rest.slice(eq + 1).trim();
  if (value === '') {
    // What `${{ steps.x.outputs.verison }}` renders to: pushing it would empty the field on the live branch.
    fail(
      `${where} ("${line.trim()}") has an empty value, which is what a mistyped expression such as \${{ steps.x.outputs.version }} renders to; give the value, or write "" to set an empty string on purpose.`,
    );
  }
  if (/\$\{\{.*\}\}/.test(value)) {
    // An expression the runner never evaluated (in a file, a script, or quoted for the shell) would ship as the value.
    fail(
      `${where} ("${line.trim()}") has a value that is an unevaluated GitHub Actions expression; pass the updates through an action input (the runner evaluates \${{ }} there) or put the value itself.`,
    );
  }
  const quoted = decodeQuoted(value, where, fail);
  if (quoted !== undefined) {
    value = quoted;
  } else if (value.startsWith('!')) {
    // `!!str "  padded "`: the text after the tag may be double-quoted too.
    const tag = /^!\S*/.exec(value)?.[0] ?? '!';
    const afterTag = value.slice(tag.length).trim();
    if (afterTag === '' && ['!!str', '!!int', '!!float', '!!bool'].includes(tag)) {
      // `!!int ${{ steps.x.outputs.replicas }}` with a mistyped expression, as for an empty value.
      fail(
        `${where} ("${line.trim()}") has no value after ${tag}, which is what a mistyped expression renders to; give the value${tag === '!!str' ? ', or write !!str "" to set an empty string on purpose' : ''}.`,
      );
    }
    const text = decodeQuoted(afterTag, where, fail) ?? afterTag;
    value = afterTag === '' ? tag : `${tag} ${text}`;
  }
  try {
    parseEditValue(value);
  } catch (error) {
    if (!(error instanceof ValueSyntaxError)) throw error;
    fail(`${where} ("${line.trim()}"): ${error.reason}.`);
  }
  return { file, selector, value, line: lineNumber };
}
