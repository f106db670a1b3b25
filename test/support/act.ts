/**
 * nektos/act for executing workflows in tests, offline and without Docker (host mode), as
 * `../shared/reference/running-workflows-locally.md` describes:
 * - act v0.2.89 is built with `go install` into the git-ignored venv's bin/ (like actionlint);
 * - Node 24 from node_modules/.bin comes first on PATH, since act runs every node action with the first `node` there;
 * - remote references are served from local folders with `--local-repository`: our own `<owner>/ml-gitops@v1` from a
 *   release tree (what a `v1` tag holds: action.yml files, dist/ bundles, .github/workflows), `actions/checkout` from a
 *   stub that clones from local bare repositories, and `actions/upload-artifact` / `download-artifact` from stubs that
 *   keep artifacts in a folder;
 * - `createActSandbox` puts these together once per test file; `createCallerRepository` makes the caller's repository
 *   from the examples in `workflows-examples/`;
 * - `--json` lines are parsed into job results, step outputs and job summaries.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { git, type RemoteRepository } from './git-repos.ts';
import { repoRoot } from './python.ts';

const execFileAsync = promisify(execFile);
const ACT_MODULE = 'github.com/nektos/act@v0.2.89';
export const OWN_REPOSITORY = '<owner>/ml-gitops@v1';
/** The pinned checkout the workflows use (act copies the working tree for the caller's own checkout). */
export const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';
/** Where the checkout stub clones `owner/name` from: `$ML_GITOPS_ACT_GIT_BASE/owner/name.git`. */
export const GIT_BASE_ENV = 'ML_GITOPS_ACT_GIT_BASE';
/** The pinned artifact actions the workflows use. */
export const UPLOAD_ARTIFACT = 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02';
export const DOWNLOAD_ARTIFACT = 'actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093';
/** Where the artifact stubs keep artifacts: `$ML_GITOPS_ACT_ARTIFACTS/<name>/`. */
export const ARTIFACTS_ENV = 'ML_GITOPS_ACT_ARTIFACTS';

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

/**
 * actions/upload-artifact and actions/download-artifact (v4 semantics, one run): an upload copies the files of `path`
 * (a file keeps its name, a directory gives its contents) into `$ML_GITOPS_ACT_ARTIFACTS/<name>/` and refuses a name
 * already uploaded; a download of an unknown name fails, as on GitHub.
 */
export async function createArtifactStubs(dir: string): Promise<{ upload: string; download: string }> {
  const upload = path.join(dir, 'upload-artifact-stub');
  const download = path.join(dir, 'download-artifact-stub');
  await fs.mkdir(upload, { recursive: true });
  await fs.mkdir(download, { recursive: true });
  await fs.writeFile(
    path.join(upload, 'action.yml'),
    `name: upload-artifact stub
description: keeps the artifact in $${ARTIFACTS_ENV}/name
inputs:
  name: {description: artifact name, default: artifact}
  path: {description: files (one path per line), required: true}
  if-no-files-found: {description: warn, error or ignore, default: warn}
  retention-days: {description: ignored, default: '0'}
  overwrite: {description: replace an artifact of the same name, default: 'false'}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: \${{ inputs.name }}
        PATHS: \${{ inputs.path }}
        IF_NO_FILES: \${{ inputs.if-no-files-found }}
        OVERWRITE: \${{ inputs.overwrite }}
      run: |
        set -euo pipefail
        dest="$${ARTIFACTS_ENV}/$NAME"
        if [ -e "$dest" ]; then
          [ "$OVERWRITE" = true ] || { echo "::error::Failed to CreateArtifact: an artifact named $NAME already exists"; exit 1; }
          rm -rf "$dest"
        fi
        mkdir -p "$dest"
        found=0
        while IFS= read -r item; do
          [ -n "$item" ] || continue
          if [ -d "$item" ]; then cp -R "$item/." "$dest/"; found=1
          elif [ -f "$item" ]; then cp "$item" "$dest/"; found=1; fi
        done <<< "$PATHS"
        if [ "$found" = 0 ]; then
          [ "$IF_NO_FILES" = error ] && { echo "::error::No files were found with the provided path: $PATHS. No artifacts will be uploaded."; exit 1; }
          echo "::warning::No files were found with the provided path: $PATHS. No artifacts will be uploaded."
          rmdir "$dest"
        fi
`,
  );
  await fs.writeFile(
    path.join(download, 'action.yml'),
    `name: download-artifact stub
description: copies $${ARTIFACTS_ENV}/name into path
inputs:
  name: {description: artifact name, required: true}
  path: {description: destination, default: '.'}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: \${{ inputs.name }}
        DEST: \${{ inputs.path }}
      run: |
        set -euo pipefail
        source="$${ARTIFACTS_ENV}/$NAME"
        [ -d "$source" ] || { echo "::error::Unable to download artifact(s): Artifact not found for name: $NAME"; exit 1; }
        mkdir -p "$DEST"
        cp -R "$source/." "$DEST/"
`,
  );
  return { upload, download };
}

/** What every act run of a test file shares: where repositories, artifacts and act's cache live, and the stubs. */
export interface ActSandbox {
  dir: string;
  /** `owner/name` → `<gitBase>/owner/name.git`, what the checkout stub clones. */
  gitBase: string;
  /** The artifacts of the last run (emptied when a run starts). */
  artifacts: string;
  cacheDir: string;
  /** The `ActRun` fields every run takes: `{ ...sandbox.run, event, workflow, cwd, ... }`. */
  run: Pick<ActRun, 'cacheDir' | 'localRepositories' | 'env'>;
}

/** Builds the act sandbox of a test file (act itself, the release tree, the stubs) in `dir`. */
export async function createActSandbox(dir: string): Promise<ActSandbox> {
  await ensureAct();
  const gitBase = path.join(dir, 'git');
  const artifacts = path.join(dir, 'artifacts');
  const cacheDir = path.join(dir, 'act-cache');
  await fs.mkdir(gitBase, { recursive: true });
  await fs.mkdir(artifacts, { recursive: true });
  const { upload, download } = await createArtifactStubs(dir);
  const localRepositories = {
    [OWN_REPOSITORY]: await createReleaseTree(dir),
    [CHECKOUT]: await createCheckoutStub(dir),
    [UPLOAD_ARTIFACT]: upload,
    [DOWNLOAD_ARTIFACT]: download,
  };
  return { dir, gitBase, artifacts, cacheDir, run: { cacheDir, localRepositories, env: { [GIT_BASE_ENV]: gitBase, [ARTIFACTS_ENV]: artifacts } } };
}

/** Moves a bare remote to where the checkout stub finds `repository` (owner/name); answers the moved remote. */
export async function publishRepository(sandbox: ActSandbox, repository: string, remote: RemoteRepository): Promise<RemoteRepository> {
  const bare = path.join(sandbox.gitBase, `${repository}.git`);
  await fs.mkdir(path.dirname(bare), { recursive: true });
  await fs.rename(remote.bare, bare);
  return { ...remote, bare };
}

/**
 * The caller's repository `repository` (owner/name): the given examples from workflows-examples/ in .github/workflows,
 * plus `files`, in one commit, with `origin` on github.com (act takes `github.repository` from it). act serves a
 * checkout without `repository:` itself, from the working tree; one that names the repository goes to the checkout
 * stub, so the repository is also published as a bare one (`<gitBase>/<repository>.git`, kept up to date by the test).
 */
export async function createCallerRepository(sandbox: Pick<ActSandbox, 'dir' | 'gitBase'>, repository: string, options: { examples: string[]; files?: Record<string, string | Uint8Array> }): Promise<string> {
  const caller = path.join(sandbox.dir, repository.replace('/', '--'));
  await fs.mkdir(path.join(caller, '.github', 'workflows'), { recursive: true });
  for (const example of options.examples) {
    await fs.copyFile(path.join(repoRoot, 'workflows-examples', example), path.join(caller, '.github', 'workflows', example));
  }
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await fs.mkdir(path.dirname(path.join(caller, file)), { recursive: true });
    await fs.writeFile(path.join(caller, file), content);
  }
  await git(caller, ['init', '--quiet', '--initial-branch=main']);
  await git(caller, ['remote', 'add', 'origin', `https://github.com/${repository}.git`]);
  await git(caller, ['add', '--all']);
  await git(caller, ['commit', '--quiet', '--message', 'Caller']);
  const bare = path.join(sandbox.gitBase, `${repository}.git`);
  await fs.mkdir(path.dirname(bare), { recursive: true });
  await git(sandbox.dir, ['clone', '--quiet', '--bare', caller, bare]);
  return caller;
}

export interface ActRun {
  event: string;
  /** The workflow file (absolute, or relative to `cwd`). */
  workflow: string;
  /** The caller's repository checkout act runs in (its `origin` gives `github.repository`). */
  cwd: string;
  inputs?: Record<string, string>;
  /** The event's payload (`-e`), e.g. `{ action: 'model-drift' }` for a repository_dispatch. */
  payload?: Record<string, unknown>;
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
  /**
   * Job → `success` | `failure`, keyed by act's job path: for a job of a called workflow `<calling job>/<called
   * workflow's name>/<job>` (e.g. `staging/promote/promote`; only the innermost calling job), so two calls of one
   * reusable workflow stay apart. A skipped job has no entry.
   */
  jobs: Record<string, string>;
  /** Step outputs as act logged them: job path → output name → value (last one wins). */
  outputs: Record<string, Record<string, string>>;
  summaries: string[];
  /**
   * The JSON lines and stderr, for assertions on what was (not) logged; act's echo of `::add-mask::` commands (which
   * carries the masked value itself, and which GitHub never shows) is left out.
   */
  log: string;
}

interface ActLine {
  job?: string;
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
    // act pads some job paths with a trailing space.
    const job = (line.job ?? line.jobID ?? '').trim();
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
  // Artifacts belong to one workflow run, as on GitHub: each run starts with none (the last run's stay for assertions).
  const artifacts = run.env?.[ARTIFACTS_ENV];
  if (artifacts !== undefined) {
    await fs.rm(artifacts, { recursive: true, force: true });
    await fs.mkdir(artifacts, { recursive: true });
  }
  if (run.payload !== undefined) {
    await fs.mkdir(run.cacheDir, { recursive: true });
    const eventFile = path.join(run.cacheDir, `event-${process.pid}-${Date.now()}.json`);
    await fs.writeFile(eventFile, JSON.stringify(run.payload));
    args.push('-e', eventFile);
  }
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
      const shown = stdout.split('\n').filter((line) => !line.includes('"command":"add-mask"'));
      resolve({ code: code ?? 1, ...parseActJson(stdout), log: `${shown.join('\n')}\n${stderr}` });
    });
  });
}
