/**
 * Byte-preserving edits of scalar values in YAML files, for `bump-manifest` and anything else that must change one
 * value in a file people maintain by hand.
 *
 * The output differs from the input only inside the source ranges of the edited scalars (`EditResult.splices`), so
 * comments, blank lines, indentation, key order, anchors, flow collections, document markers, CRLF line endings, a
 * BOM and a missing final newline all survive. Each file is parsed once (`yaml` with source tokens); the new scalar
 * texts are spliced in; the result is parsed once more to prove every target reads back as intended and no node
 * appeared or vanished — otherwise nothing is returned.
 *
 * Decisions where the issue is silent:
 * - Types. A string stays a string for YAML 1.2 and YAML 1.1 readers (Helm, PyYAML): values either would read as
 *   something else (`yes`, `0x1F`, `1.10`, `1e3`, `~`, `2024-01-01`, `=` ...) are quoted. A plain number, bool or null
 *   keeps its type when both readers take the new value as the same kind (`replicas: 3` -> `5`, `true` -> `false`,
 *   `yes` -> `no`); otherwise it becomes a string (`tag: 12` -> `v1.5.0`, `replicas: 3` -> `abc`), written plain when
 *   that is unambiguous, and `AppliedEdit.typeChange` records it so callers can warn. A null placeholder (`key:`, `~`)
 *   given a value becomes a string. Created keys hold strings.
 * - Styles. Quoted scalars keep their quotes (single quotes switch to double quotes for line breaks or control
 *   characters); plain scalars stay plain when the value is a safe plain scalar in that context (inside `[...]`/`{...}`
 *   `, [ ] { } :` need quotes), else become double-quoted. Double-quoted output is JSON string syntax.
 * - Block scalars (`|`, `>`): the content is replaced, keeping the header and indentation; the chomping indicator
 *   decides the final line break as before (`|` gives `value + "\n"`). Refused with a reason: folded (`>`) scalars given
 *   several lines, values starting with white space, explicit indentation indicators.
 * - Anchors and aliases. Editing an alias, a path through an alias, or a scalar that is anchored and aliased elsewhere
 *   is refused. A scalar inside an anchored map or list may be edited: aliases of it are meant to follow it.
 * - Explicitly tagged scalars other than `!!str` (`!!int 12`, `!Ref x`) are refused.
 * - `createMissing` adds keys to block maps only (after the map's last entry, at its indentation, nested levels
 *   indented by two spaces); flow maps, null values and list items are refused.
 * - A selector without `(Kind/name)` in a multi-document file must match in exactly one document; a missing path is
 *   reported for the document where most of it exists.
 */
export { EditSelfCheckError, editYamlText } from './edit.ts';
export type { AppliedEdit, EditOptions, EditResult, ScalarEdit, Splice } from './edit.ts';
export { parseSelector, SelectorSyntaxError } from './selector.ts';
export type { DocumentFilter, Segment, Selector } from './selector.ts';
export type { ValueKind } from './scalar-style.ts';
