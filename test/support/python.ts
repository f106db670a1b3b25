/**
 * The git-ignored Python virtual environment (`<repo>/.venv`) the MLflow tests run their server from. Created with
 * `python3 -m venv` and filled from `test/support/requirements.txt`; a stamp file holding the hash of the
 * requirements makes later runs reuse it without asking pip anything.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const requirementsFile = path.join(repoRoot, 'test', 'support', 'requirements.txt');

export interface PythonVenv {
  dir: string;
  python: string;
  /** The `mlflow` console script. */
  mlflow: string;
  /** Hash of the requirements the venv was filled from (keys caches that depend on the installed versions). */
  requirementsHash: string;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function runLogged(command: string, args: string[], what: string): Promise<void> {
  try {
    await run(command, args, { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${tail(`${stdout}\n${stderr}`)}`, { cause: error });
  }
}

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      const { stdout } = await run(candidate, ['-c', 'import sys, venv; print(sys.version_info[0])']);
      if (stdout.trim() === '3') return candidate;
    } catch {
      // Try the next name.
    }
  }
  throw new Error(
    'The MLflow tests need Python 3 with the venv module: install python3 and python3-venv ' +
      '(e.g. `apt-get install python3 python3-venv`, `brew install python`, or https://www.python.org/downloads/).',
  );
}

/** Creates or reuses `<repo>/.venv` with the test requirements installed; returns its executables. */
export async function ensurePythonVenv(dir = path.join(repoRoot, '.venv')): Promise<PythonVenv> {
  const requirements = await readFile(requirementsFile, 'utf8');
  const requirementsHash = createHash('sha256').update(requirements).digest('hex');
  const stampFile = path.join(dir, '.ml-gitops-requirements.sha256');
  const venv: PythonVenv = {
    dir,
    python: path.join(dir, 'bin', 'python'),
    mlflow: path.join(dir, 'bin', 'mlflow'),
    requirementsHash,
  };
  const stamp = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
  if (stamp === requirementsHash && existsSync(venv.mlflow)) return venv;

  if (!existsSync(venv.python)) {
    const python = await findPython();
    await runLogged(python, ['-m', 'venv', dir], 'Creating the Python virtual environment');
  }
  // pip skips what is already installed, so an existing venv without our stamp costs seconds, not minutes.
  await runLogged(venv.python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirementsFile], 'Installing test/support/requirements.txt');
  await writeFile(stampFile, `${requirementsHash}\n`);
  return venv;
}
