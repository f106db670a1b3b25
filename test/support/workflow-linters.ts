/**
 * The linters GitHub workflow authors run: actionlint (built from its Go module into the git-ignored venv's bin/) and
 * zizmor (from PyPI, in test/support/requirements.txt).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonVenv, repoRoot } from './python.ts';

const execFileAsync = promisify(execFile);
const ACTIONLINT_MODULE = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';

export async function ensureActionlint(): Promise<string> {
  const bin = path.join(repoRoot, '.venv', 'bin');
  const actionlint = path.join(bin, 'actionlint');
  if (existsSync(actionlint)) return actionlint;
  try {
    await execFileAsync('go', ['install', ACTIONLINT_MODULE], { env: { ...process.env, GOBIN: bin }, cwd: repoRoot });
  } catch (error) {
    throw new Error(`Could not build actionlint with "go install ${ACTIONLINT_MODULE}"; install Go (https://go.dev/dl/).`, { cause: error });
  }
  return actionlint;
}

export async function ensureZizmor(): Promise<string> {
  const venv = await ensurePythonVenv();
  return path.join(path.dirname(venv.python), 'zizmor');
}
