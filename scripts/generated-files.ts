/**
 * Everything generated from the command schemas: action.yml files, action entry points, README input/output tables
 * and published JSON Schemas. `npm run generate` writes them; a test fails when a committed file drifts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { AnyCommand, InputSpec } from '../src/lib/command.ts';
import { COMMANDS } from '../src/commands/index.ts';
import { markdownTable } from '../src/lib/report.ts';
import { workflowDocs } from './workflow-docs.ts';

const GENERATED = 'Generated from the command schema by `npm run generate`; do not edit by hand.';

/** The Marketplace badge: a Feather icon GitHub supports and one of its badge colours. */
export interface Branding {
  icon: string;
  color: 'white' | 'black' | 'yellow' | 'blue' | 'green' | 'orange' | 'red' | 'purple' | 'gray-dark';
}

/** The suite's own badge (root action.yml), the one the Marketplace lists. */
export const SUITE_BRANDING: Branding = { icon: 'git-pull-request', color: 'blue' };

/**
 * Each command's badge, by command name, so the actions read as one family when published on their own. A command
 * missing here stops `npm run generate` (an action.yml without branding cannot be listed).
 */
export const COMMAND_BRANDING: Readonly<Record<string, Branding>> = {
  'evaluate-model': { icon: 'bar-chart-2', color: 'blue' },
  'register-model': { icon: 'database', color: 'blue' },
  'bump-manifest': { icon: 'git-commit', color: 'blue' },
  'open-promotion-pr': { icon: 'git-pull-request', color: 'blue' },
  'wait-for-argo-sync': { icon: 'refresh-cw', color: 'blue' },
  rollback: { icon: 'rotate-ccw', color: 'blue' },
};

function brandingOf(command: AnyCommand): Branding {
  const branding = COMMAND_BRANDING[command.name];
  if (branding === undefined) throw new Error(`scripts/generated-files.ts: add the ${command.name} command to COMMAND_BRANDING (a Feather icon and a badge colour).`);
  return branding;
}

type Inputs = Record<string, InputSpec<unknown>>;
type Outputs = Record<string, { description: string }>;

function inputsOf(command: AnyCommand): Inputs {
  return command.inputs as Inputs;
}

function outputsOf(command: AnyCommand): Outputs {
  return command.outputs as Outputs;
}

function firstSentence(text: string): string {
  const match = /^(.*?[.!?])(\s|$)/s.exec(text.trim());
  return (match?.[1] ?? text).trim();
}

function envText(input: InputSpec<unknown>): string {
  return input.env.map((name) => `\`$${name}\``).join(', then ');
}

function describeInput(input: InputSpec<unknown>): string {
  let description = input.description.trim();
  if (input.default === undefined && input.actionDefault === undefined && input.defaultDescription !== undefined) {
    description += ` Default: ${input.defaultDescription}.`;
  }
  if (input.env.length > 0) description += ` When empty: ${envText(input)}.`;
  if (input.kind === 'list') description += ' Comma- or newline-separated.';
  return description;
}

/** The default action.yml declares: the runner's (`${{ github.token }}`) when there is one, else the command's. */
function actionDefault(input: InputSpec<unknown>): string | undefined {
  return input.actionDefault ?? input.default;
}

function actionInputs(inputs: Inputs): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const entry: Record<string, unknown> = { description: describeInput(input), required: input.required };
    const value = actionDefault(input);
    if (value !== undefined) entry.default = value;
    result[name] = entry;
  }
  return result;
}

function actionOutputs(outputs: Outputs): Record<string, { description: string }> {
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, { description: output.description }]));
}

function yamlFile(comment: string, value: unknown): string {
  return `# ${comment}\n${stringify(value, { lineWidth: 0 })}`;
}

export function commandActionYaml(command: AnyCommand): string {
  return yamlFile(GENERATED, {
    name: `ml-gitops ${command.name}`,
    description: firstSentence(command.description),
    author: 'ml-gitops',
    branding: brandingOf(command),
    inputs: actionInputs(inputsOf(command)),
    outputs: actionOutputs(outputsOf(command)),
    runs: { using: 'node24', main: `../../dist/${command.name}/index.js` },
  });
}

/** The root action runs any command by name; its inputs are the union of all commands' inputs. */
export function rootActionYaml(commands: readonly AnyCommand[]): string {
  const inputs: Record<string, Record<string, unknown>> = {
    command: {
      description: `The command to run: ${commands.map((c) => c.name).join(', ')}.`,
      required: true,
    },
  };
  const users = new Map<string, { input: InputSpec<unknown>; commands: string[]; runnerDefaults: Set<string | undefined> }>();
  for (const command of commands) {
    for (const [name, input] of Object.entries(inputsOf(command))) {
      const entry = users.get(name);
      if (entry) {
        entry.commands.push(command.name);
        entry.runnerDefaults.add(input.actionDefault);
      } else users.set(name, { input, commands: [command.name], runnerDefaults: new Set([input.actionDefault]) });
    }
  }
  for (const [name, { input, commands: names, runnerDefaults }] of users) {
    // Defaults differ between commands, so the root action declares none (each command applies its own), except a
    // runner-filled default such as `${{ github.token }}` that every command taking the input shares.
    const entry: Record<string, unknown> = { description: `(${names.join(', ')}) ${describeInput(input)}`, required: false };
    const [shared] = runnerDefaults;
    if (runnerDefaults.size === 1 && shared !== undefined) entry.default = shared;
    inputs[name] = entry;
  }
  const outputs: Record<string, { description: string }> = {};
  for (const command of commands) {
    for (const [name, output] of Object.entries(outputsOf(command))) {
      const existing = outputs[name];
      outputs[name] = existing
        ? { description: `${existing.description} / (${command.name}) ${output.description}` }
        : { description: `(${command.name}) ${output.description}` };
    }
  }
  return yamlFile(GENERATED, {
    name: 'ml-gitops',
    description: `Carry a trained model from evaluation to production through GitOps: ${commands.map((c) => c.name).join(', ')}.`,
    author: 'ml-gitops',
    branding: SUITE_BRANDING,
    inputs,
    outputs,
    runs: { using: 'node24', main: 'dist/main/index.js' },
  });
}

export function entrypointSource(command: AnyCommand, exportName: string, modulePath: string): string {
  return [
    `// ${GENERATED}`,
    `import { runAction } from '../action.ts';`,
    `import { ${exportName} } from '${modulePath}';`,
    '',
    `await runAction(${exportName});`,
    '',
  ].join('\n');
}

function defaultCell(input: InputSpec<unknown>): string {
  const parts: string[] = [];
  if (input.actionDefault !== undefined) parts.push(`\`${input.actionDefault}\` (Action)`);
  if (input.default !== undefined) parts.push(input.default === '' ? '`""`' : `\`${input.default}\``);
  else if (input.defaultDescription !== undefined) parts.push(input.defaultDescription);
  if (input.env.length > 0) parts.push(`when empty: ${envText(input)}`);
  return parts.join('; ');
}

export function inputsTable(command: AnyCommand): string {
  return markdownTable(
    ['Input', 'Required', 'Default', 'Description'],
    Object.entries(inputsOf(command)).map(([name, input]) => [
      `\`${name}\``,
      input.required ? 'yes' : 'no',
      defaultCell(input),
      input.description,
    ]),
  );
}

export function outputsTable(command: AnyCommand): string {
  return markdownTable(
    ['Output', 'Description'],
    Object.entries(outputsOf(command)).map(([name, output]) => [`\`${name}\``, output.description]),
  );
}

/** Replaces the text between `<!-- key:start -->` and `<!-- key:end -->`; adds the block at the end when missing. */
export function replaceBlock(document: string, key: string, content: string): string {
  const start = `<!-- ${key}:start -->`;
  const end = `<!-- ${key}:end -->`;
  const block = `${start}\n${content}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from === -1 || to === -1 || to < from) return `${document.trimEnd()}\n\n${block}\n`;
  return `${document.slice(0, from)}${block}${document.slice(to + end.length)}`;
}

function actionReadme(command: AnyCommand, existing: string | undefined): string {
  let document =
    existing ??
    [
      `# ${command.name}`,
      '',
      command.description,
      '',
      '## Usage',
      '',
      '```yaml',
      `- uses: <owner>/ml-gitops/actions/${command.name}@v1`,
      '```',
      '',
      '## Inputs',
      '',
      '<!-- inputs:start -->',
      '<!-- inputs:end -->',
      '',
      '## Outputs',
      '',
      '<!-- outputs:start -->',
      '<!-- outputs:end -->',
      '',
    ].join('\n');
  document = replaceBlock(document, 'inputs', inputsTable(command));
  document = replaceBlock(document, 'outputs', outputsTable(command));
  return document;
}

function commandsTable(commands: readonly AnyCommand[]): string {
  return markdownTable(
    ['Action', 'CLI', 'What it does'],
    commands.map((c) => [`[\`actions/${c.name}\`](actions/${c.name}/README.md)`, `\`ml-gitops ${c.name}\``, firstSentence(c.description)]),
  );
}

/** Finds the export name of a command by looking it up in its module, so entry points import it by name. */
async function exportNameOf(command: AnyCommand, root: string): Promise<{ exportName: string; modulePath: string }> {
  const modulePath = `../commands/${command.name}/index.ts`;
  const module = (await import(path.join(root, 'src', 'commands', command.name, 'index.ts'))) as Record<string, unknown>;
  const exportName = Object.keys(module).find((key) => module[key] === command);
  if (exportName === undefined) throw new Error(`src/commands/${command.name}/index.ts does not export the ${command.name} command.`);
  return { exportName, modulePath };
}

/** Every generated file, by path relative to the repository root, with the content it must have. */
export async function generatedFiles(root: string): Promise<Map<string, string>> {
  const read = (file: string): string | undefined => {
    const full = path.join(root, file);
    return fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : undefined;
  };
  const files = new Map<string, string>();
  files.set('action.yml', rootActionYaml(COMMANDS));
  for (const command of COMMANDS) {
    files.set(`actions/${command.name}/action.yml`, commandActionYaml(command));
    const { exportName, modulePath } = await exportNameOf(command, root);
    files.set(`src/entrypoints/${command.name}.ts`, entrypointSource(command, exportName, modulePath));
    const readmePath = `actions/${command.name}/README.md`;
    files.set(readmePath, actionReadme(command, read(readmePath)));
    for (const [key, schema] of Object.entries(command.jsonSchemas ?? {})) {
      const jsonSchema = { $id: `https://ml-gitops.dev/schemas/${key}.schema.json`, ...z.toJSONSchema(schema, { io: 'input' }) };
      files.set(`schemas/${key}.schema.json`, `${JSON.stringify(jsonSchema, null, 2)}\n`);
    }
  }
  const workflowsReadme = read('.github/workflows/README.md');
  if (workflowsReadme !== undefined) files.set('.github/workflows/README.md', replaceBlock(workflowsReadme, 'workflows', workflowDocs(root)));
  const readme = read('README.md');
  if (readme !== undefined) files.set('README.md', replaceBlock(readme, 'commands', commandsTable(COMMANDS)));
  return files;
}

/** The generated files whose committed content differs from what the schemas produce. */
export async function staleGeneratedFiles(root: string): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, content] of await generatedFiles(root)) {
    const full = path.join(root, file);
    if (!fs.existsSync(full) || fs.readFileSync(full, 'utf8') !== content) stale.push(file);
  }
  return stale;
}
