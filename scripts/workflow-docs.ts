/**
 * The input/output tables of the reusable workflows, rendered from their YAML (`on.workflow_call`), so the docs cannot
 * drift from what the workflows accept. `npm run generate` writes them into .github/workflows/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { markdownTable } from '../src/lib/report.ts';

interface WorkflowCall {
  inputs?: Record<string, { description?: string; type?: string; required?: boolean; default?: unknown }>;
  secrets?: Record<string, { description?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
}

/** The reusable workflows of the repository: every .github/workflows file with `on.workflow_call`. */
export function reusableWorkflows(root: string): Array<{ file: string; name: string; call: WorkflowCall; summary: string }> {
  const dir = path.join(root, '.github', 'workflows');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.yml'))
    .sort()
    .flatMap((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const document = parse(text) as { name?: string; on?: Record<string, unknown> };
      const call = document.on?.workflow_call as WorkflowCall | undefined;
      if (call === undefined || call === null) return [];
      const summary = text
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => line.replace(/^#\s?/, ''))
        .join(' ');
      return [{ file, name: document.name ?? file, call, summary }];
    });
}

export function workflowDocs(root: string): string {
  const sections = reusableWorkflows(root).map(({ file, call, summary }) => {
    const inputs = Object.entries(call.inputs ?? {}).map(([name, input]) => [
      `\`${name}\``,
      input.type ?? 'string',
      input.required ? 'yes' : 'no',
      input.default === undefined || input.default === '' ? '' : `\`${String(input.default)}\``,
      input.description ?? '',
    ]);
    const secrets = Object.entries(call.secrets ?? {}).map(([name, secret]) => [`\`${name}\``, secret.required ? 'yes' : 'no', secret.description ?? '']);
    const outputs = Object.entries(call.outputs ?? {}).map(([name, output]) => [`\`${name}\``, output.description ?? '']);
    return [
      `### \`${file}\``,
      '',
      summary,
      '',
      `\`uses: <owner>/ml-gitops/.github/workflows/${file}@v1\``,
      '',
      inputs.length === 0 ? '_No inputs._' : markdownTable(['Input', 'Type', 'Required', 'Default', 'Description'], inputs),
      '',
      secrets.length === 0 ? '_No secrets._' : markdownTable(['Secret', 'Required', 'Description'], secrets),
      '',
      outputs.length === 0 ? '_No outputs._' : markdownTable(['Output', 'Description'], outputs),
    ].join('\n');
  });
  return sections.join('\n\n');
}
