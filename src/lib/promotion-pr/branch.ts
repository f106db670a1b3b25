/** The branch-name check of the promotion and rollback PR branches, before any request. */
import type { InputSpec } from '../command.ts';

/** Why git would refuse `name` as a branch name (git check-ref-format), or undefined when it is valid. */
export function branchProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name)) return 'contains a character git refuses in a branch name (space, ~ ^ : ? * [ \\ or a control character)';
  if (name.includes('..') || name.includes('@{') || name === '@') return 'contains ".." or "@{", which git refuses in a branch name';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//') || name.endsWith('.') || name.startsWith('-')) return 'is not a valid branch name (it starts or ends with "/", "." or "-", or has "//")';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'has a part starting with "." or ending with ".lock", which git refuses';
  return undefined;
}

/** A text input holding a branch name, refused while parsing when git would refuse the name. */
export function branchInput(spec: InputSpec<string | undefined>): InputSpec<string | undefined> {
  return {
    ...spec,
    parse: (raw: string) => {
      const problem = branchProblem(raw);
      if (problem !== undefined) throw new Error(problem);
      return spec.parse(raw);
    },
  };
}
