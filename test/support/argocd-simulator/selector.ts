/** Kubernetes label selectors as Argo CD's `selector` parameter takes them: `a=b,c!=d,e,!f,g in (h,i),j notin (k)`. */

export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

/** Splits on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += char;
  }
  out.push(current);
  return out.map((term) => term.trim()).filter((term) => term !== '');
}

const KEY = '[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?';

/** A matcher, or throws with the reason the selector is invalid (the server answers 400 then). */
export function parseSelector(selector: string): LabelMatcher {
  const checks: LabelMatcher[] = [];
  for (const term of terms(selector)) {
    let match: RegExpMatchArray | null;
    if ((match = term.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([A-Za-z0-9._-]*)$`))) !== null) {
      const [, key, , op, value] = match as unknown as [string, string, string, string, string];
      checks.push(op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value);
    } else if ((match = term.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`))) !== null) {
      const [, key, , op, list] = match as unknown as [string, string, string, string, string];
      const values = new Set(list.split(',').map((value) => value.trim()));
      checks.push(op === 'in' ? (labels) => labels[key] !== undefined && values.has(labels[key]) : (labels) => labels[key] === undefined || !values.has(labels[key]));
    } else if ((match = term.match(new RegExp(`^!(${KEY})$`))) !== null) {
      const key = match[1] as string;
      checks.push((labels) => labels[key] === undefined);
    } else if ((match = term.match(new RegExp(`^(${KEY})$`))) !== null) {
      const key = match[1] as string;
      checks.push((labels) => labels[key] !== undefined);
    } else {
      throw new Error(`unable to parse requirement: ${JSON.stringify(term)}`);
    }
  }
  return (labels) => checks.every((check) => check(labels));
}
