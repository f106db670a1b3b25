/** The unified diff of a plan: shown by bump-manifest, put into promotion PR bodies. */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { Plan } from './plan.ts';

/** The unified diff (`--- a/file`, `+++ b/file`) of every file the plan changes; empty when nothing changes. */
export function unifiedDiff(plan: Plan): string {
  return plan.files
    .filter((file) => file.changed)
    .map((file) =>
      createTwoFilesPatch(`a/${file.relativePath}`, `b/${file.relativePath}`, file.before, file.after, undefined, undefined, {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      }),
    )
    .join('');
}
