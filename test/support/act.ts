/**
 * nektos/act for executing workflows in tests, offline and without Docker (host mode), as
 * `../shared/reference/running-workflows-locally.md` describes:
 * - act v0.2.89 is built with `go install` into the git-ignored venv's bin/ (like actionlint);
 * - Node 24 from node_modules/.bin comes first on PATH, since act runs every node action with the first `node` there;
 * - remote references are served from local folders with `--local-repository`: our own `<owner>/ml-gitops@v1` from a
 *   release tree (what a `v1` tag holds: action.yml files, dist/ bundles, .github/workflows), and `actions/checkout`
 *   for other repositories from a stub that clones from local bare repositories;
 * - `--json` lines are parsed into job results, step outputs and job summaries.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './python.ts';

const execFileAsync = promisify(execFile);
const ACT_MODULE = 'github.com/nektos/act@v0.2.89';
export const OWN_REPOSITORY = '<owner>/ml-gitops@v1';
/** The pinned checkout the workflows use (act copies the working tree for the caller's own checkout). */
export const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';
/** Where the checkout stub clones `owner/name` from: `$ML_GITOPS_ACT_GIT_BASE/owner/name.git`. */
export const GIT_BASE_ENV = 'ML_GITOPS_ACT_GIT_BASE';

export async function ensureAct(): Promise<string> {
  const bin = path.join(repoRoot, '.venv', 'bin');
  const act = path.join(bin, 'act');
  if (existsSync(act)) return act;
  try {
    await execFileAsync('go', ['install', ACT_MODULE], { env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' }, cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`Could not build act with "go install ${ACT_MODULE}"; install Go (https://go.dev/dl/).`, { cause: error });
  }
  return act;
}

/** The commands whose bundle exists in this checkout's dist/ (a workflow test needing another one is skipped). */
export function bundleExists(command: string): boolean {
  return existsSync(path.join(repoRoot, 'dist', command, 'index.js'));
}

function referencedOwnActions(workflowText: string): string[] {
  return [...workflowText.matchAll(/<owner>\/ml-gitops\/actions\/([a-z0-9-]+)@/g)].map((match) => match[1] as string);
}

/**
 * A copy of what the `v1` tag serves: action.yml files, dist/ and the reusable workflows. act reads the action.yml of
 * every step before the job starts, skipped steps included; an action not generated in this checkout yet gets a
 * placeholder that fails if it ever runs.
 */
export async function createReleaseTree(dir: string): Promise<string> {
  const tree = path.join(dir, 'ml-gitops-v1');
  for (const entry of ['action.yml', 'actions', 'dist', '.github/workflows']) {
    await fs.cp(path.join(repoRoot, entry), path.join(tree, entry), { recursive: true });
  }
  const workflows = path.join(tree, '.github', 'workflows');
  const names = new Set<string>();
  for (const file of await fs.readdir(workflows)) {
    if (file.endsWith('.yml')) for (const name of referencedOwnActions(await fs.readFile(path.join(workflows, file), 'utf8'))) names.add(name);
  }
  for (const name of names) {
    const actionYml = path.join(tree, 'actions', name, 'action.yml');
    if (existsSync(actionYml)) continue;
    await fs.mkdir(path.dirname(actionYml), { recursive: true });
    await fs.writeFile(
      actionYml,
      `name: ${name} placeholder\ndescription: not generated in this checkout\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo "::error::actions/${name} is not generated in this checkout" && exit 1\n`,
    );
  }
  return tree;
}

/**
 * actions/checkout for a repository other than the caller's: clones `$ML_GITOPS_ACT_GIT_BASE/<repository>.git` into
 * `path`. Strict where it matters: an unknown repository or ref fails the step, as on GitHub.
 */
export async function createCheckoutStub(dir: string): Promise<string> {
  const stub = path.join(dir, 'checkout-stub');
  await fs.mkdir(stub, { recursive: true });
  await fs.writeFile(
    path.join(stub, 'action.yml'),
    `name: checkout stub
description: clones owner/name from $${GIT_BASE_ENV}/owner/name.git
inputs:
  repository: {description: owner/name, default: '\${{ github.repository }}'}
  ref: {description: branch or tag, default: ''}
  token: {description: ignored (local clone)}
  path: {description: where, default: '.'}
  fetch-depth: {description: ignored (full clone), default: '1'}
  persist-credentials: {description: ignored, default: 'true'}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        REPOSITORY: \${{ inputs.repository }}
        REF: \${{ inputs.ref }}
        DEST: \${{ inputs.path }}
      run: |
        set -euo pipefail
        source="$${GIT_BASE_ENV}/$REPOSITORY.git"
        [ -d "$source" ] || { echo "::error::checkout stub: no repository $REPOSITORY under $${GIT_BASE_ENV}"; exit 1; }
        target="$GITHUB_WORKSPACE/$DEST"
        # Like the real action into a non-empty directory, refuse rather than mix trees.
        if [ -d "$target" ] && [ -n "$(ls -A "$target")" ]; then echo "::error::checkout stub: $target is not empty"; exit 1; fi
        git clone --quiet \${REF:+--branch "$REF"} "$source" "$target"
        echo "checked out $REPOSITORY with node $(node --version)"
`,
  );
  return stub;
}

export interface ActRun {
  event: string;
  /** The workflow file (absolute, or relative to `cwd`). */
  workflow: string;
  /** The caller's repository checkout act runs in (its `origin` gives `github.repository`). */
  cwd: string;
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  env?: Record<string, string>;
  /** `owner/repo@ref` → folder. */
  localRepositories?: Record<string, string>;
  cacheDir: string;
  timeoutMs?: number;
}

export interface ActResult {
  code: number;
  /** Job id (act's `jobID`) → `success` | `failure`. */
  jobs: Record<string, string>;
  /** Step outputs as act logged them: job id → output name → value (last one wins). */
  outputs: Record<string, Record<string, string>>;
  summaries: string[];
  /** The raw JSON lines and stderr, for assertions on what was (not) logged. */
  log: string;
}

interface ActLine {
  jobID?: string;
  jobResult?: string;
  command?: string;
  name?: string;
  arg?: string;
  content?: string;
}

export function parseActJson(text: string): Omit<ActResult, 'code' | 'log'> {
  const jobs: Record<string, string> = {};
  const outputs: Record<string, Record<string, string>> = {};
  const summaries: string[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    let line: ActLine;
    try {
      line = JSON.parse(raw) as ActLine;
    } catch {
      continue;
    }
    const job = line.jobID ?? '';
    if (line.jobResult !== undefined) jobs[job] = line.jobResult;
    if (line.command === 'set-output' && line.name !== undefined) (outputs[job] ??= {})[line.name] = line.arg ?? '';
    if (line.command === 'summary' && line.content !== undefined) summaries.push(line.content);
  }
  return { jobs, outputs, summaries };
}

export async function runAct(run: ActRun): Promise<ActResult> {
  const act = await ensureAct();
  const args = [run.event, '-W', run.workflow, '-P', 'ubuntu-latest=-self-hosted', '--json', '--action-cache-path', run.cacheDir, '--concurrent-jobs', '1'];
  for (const [key, folder] of Object.entries(run.localRepositories ?? {})) args.push('--local-repository', `${key}=${folder}`);
  for (const [name, value] of Object.entries(run.inputs ?? {})) args.push('--input', `${name}=${value}`);
  for (const [name, value] of Object.entries(run.vars ?? {})) args.push('--var', `${name}=${value}`);
  for (const [name, value] of Object.entries(run.secrets ?? {})) args.push('-s', `${name}=${value}`);
  for (const [name, value] of Object.entries(run.env ?? {})) args.push('--env', `${name}=${value}`);
  const env = { ...process.env, PATH: `${path.join(repoRoot, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  return new Promise((resolve, reject) => {
    const child = spawn(act, args, { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), run.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, ...parseActJson(stdout), log: `${stdout}\n${stderr}` });
    });
  });
}
