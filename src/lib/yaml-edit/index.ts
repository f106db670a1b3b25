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
 * - Types. Every rule holds for YAML 1.2 readers (the `yaml` package, Kustomize) and YAML 1.1 readers (Helm's Go
 *   yaml, PyYAML) alike: no value is written that one of them would read as another type or another value.
 *   - A string stays a string: values either reader would read as something else (`yes`, `0x1F`, `1.10`, `1e3`, `~`,
 *     `2024-01-01`, `=` ...) are quoted.
 *   - A plain number or boolean keeps its type when both readers take the new value as the same kind (`replicas: 3`
 *     -> `5`, `true` -> `false`, `yes` -> `no`). Any other untagged value is refused rather than silently turning it
 *     into a string (`replicas: 3` given `abc`): the message names the key, its type, and the fix (`!!str abc`, or
 *     `!!float 1_000.5` when only the spelling is in doubt).
 *   - A created key (`createMissing`) or a null placeholder (`key:`, `~`) has no type yet, so it takes the type of its
 *     value — but only in the one spelling no reader can take for anything else: `true`, `false`, and numbers exactly
 *     as JavaScript and JSON print them (`3`, `-4`, `1.5`, `0.75`; integers up to 2^53, which Helm's float64 keeps).
 *     Every other value is created as a string: `v1.2`, and the lookalikes `yes`/`on`/`True` (booleans only to some
 *     readers), `0x1F`, `+3`, `017`, `1_000`, `1e3` (numbers only to some, or different numbers), `1.10`, `2.0`
 *     (versions far more often than floats), `~`/`null` (what `jq -r` prints for a missing field), dates. To get one
 *     of those types, tag the value.
 *   - Tags. A value may start with `!!str`, `!!int`, `!!float`, `!!bool` or `!!null` (or the verbatim
 *     `!<tag:yaml.org,2002:int>`), followed by one space: `!!int 3`, `!!str 12`, `!!bool yes`, `!!null`. The tag is not
 *     written to the file; the scalar is written so every reader loads that type: `!!str` as a string (quoted when
 *     needed), the others plain, as given when both readers already load it alike (`3`, `0x1F`, `1.5`, `true`, `~`),
 *     else in a canonical spelling (`!!bool yes` -> `true`, `!!int 1_000` -> `1000`, `!!float 2` -> `2.0`, `!!float 1e3`
 *     -> `1000.0`: floats get a dot and a signed exponent, which PyYAML needs). A tagged value overrides the kept type
 *     (`replicas: 3` given `!!str abc`, `port: "80"` given `!!int 80`); `AppliedEdit.typeChange` records the change.
 *     `!!int 3` on an existing `3.0` (or `!!float 3` on `3`) is a change even though JavaScript loads both as 3.
 *     Refused, before any file is read when they come from an update line: a value starting with any other tag (`!Ref`,
 *     `!!python/...`, `!!timestamp`; text starting with `!` is written `!!str !text`), collection tags (`!!map`,
 *     `!!seq`), a value its tag cannot take (`!!int abc`, `!!bool maybe`), numbers the readers disagree on (`!!int 017`
 *     is 17 to YAML 1.2 and 15 to YAML 1.1), and typed tags on block scalars or on scalars tagged `!!str` in the file.
 * - Styles. Quoted scalars keep their quotes (single quotes switch to double quotes for line breaks or control
 *   characters); plain scalars stay plain when the value is a safe plain scalar in that context (inside `[...]`/`{...}`
 *   `, [ ] { } :` need quotes), else become double-quoted. Double-quoted output is JSON string syntax.
 * - Block scalars (`|`, `>`): the content is replaced, keeping the header and indentation; the chomping indicator
 *   decides the final line break as before (`|` gives `value + "\n"`). Refused with a reason: folded (`>`) scalars given
 *   several lines, values starting with white space, explicit indentation indicators.
 * - Anchors and aliases. Editing an alias, a path through an alias, or a scalar that is anchored and aliased elsewhere
 *   is refused. A scalar inside an anchored map or list may be edited: aliases of it are meant to follow it.
 * - Scalars tagged in the file other than with `!!str` (`!!int 12`, `!Ref x`) are refused.
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
export { parseEditValue, ValueSyntaxError, VALUE_TAGS } from './value.ts';
export type { EditValue, ValueTag } from './value.ts';
