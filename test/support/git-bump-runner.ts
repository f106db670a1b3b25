/**
 * Runs `bump-manifest` in its own process, as a CI job would, for the concurrency tests.
 * Usage: node test/support/git-bump-runner.ts '<json: { workspace, env, inputs }>'
 * Prints the outputs as one JSON line; exits 1 with the error's message on failure.
 */
import { parseInputs } from '../../src/lib/command.ts';
import { bumpManifest } from '../../src/commands/bump-manifest/index.ts';
import { testContext } from './context.ts';

interface RunnerRequest {
  workspace: string;
  env: Record<string, string>;
  inputs: Record<string, string>;
}

const request = JSON.parse(process.argv[2] ?? '{}') as RunnerRequest;
const ctx = testContext({ env: request.env, workspace: request.workspace });
try {
  const inputs = parseInputs(bumpManifest, (name) => request.inputs[name], ctx.setSecret);
  const outputs = await bumpManifest.run(inputs, ctx);
  process.stdout.write(`${JSON.stringify({ outputs, infos: ctx.infos })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
