/**
 * Manifest updates, shared by bump-manifest, open-promotion-pr and rollback: the `<file>:<selector>=<value>` syntax,
 * the plan (resolve, read, edit in memory; nothing written until every line is valid), the commit message with its
 * ledger trailers, the diff, and the race-safe commit-and-push.
 */
export * from './update-line.ts';
export * from './plan.ts';
export * from './message.ts';
export * from './diff.ts';
export * from './publish.ts';
