import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../src/cli.ts';
import { echoCommand } from './support/echo-command.ts';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd: process.cwd() };
  const code = await runCli(argv, io, [echoCommand]);
  return { code, stdout, stderr };
}

describe('ml-gitops CLI', () => {
  it('maps --flags to inputs and prints outputs as name=value lines', async () => {
    const result = await cli(['echo', '--message', 'hi', '--repeat-count=2', '--loud', '--items', 'a', '--items', 'b']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('echoed=HI HI\nitems=["a","b"]\n');
    expect(result.stderr).toContain('## Echo');
  });

  it('prints outputs as one JSON object with --json', async () => {
    const result = await cli(['echo', '--message', 'hi', '--json', '--no-loud']);
    expect(JSON.parse(result.stdout)).toEqual({ echoed: 'hi', items: [] });
  });

  it('generates --help from the schema', async () => {
    const result = await cli(['echo', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--repeat-count <value>  (default: 1)');
    expect(result.stdout).toContain('--mode <plain|json>');
    expect(result.stdout).toContain('--message <value>  (required)');
    expect(result.stdout).toContain('echoed: The message, repeated.');
  });

  it('suggests the closest option for a typo', async () => {
    const result = await cli(['echo', '--mesage', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: Unknown option --mesage for echo (did you mean "--message"?); run ml-gitops echo --help for its inputs.\n');
  });

  it('suggests the closest command', async () => {
    const result = await cli(['ecko']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown command "ecko" (did you mean "echo"?)');
  });

  it('names the option in input errors', async () => {
    const result = await cli(['echo', '--message', 'hi', '--repeat-count', 'x']);
    expect(result.stderr).toBe('error: --repeat-count must be a whole number (got "x").\n');
  });

  it('refuses a single-valued option given twice (never joining the values), without showing a secret', async () => {
    const twice = await cli(['echo', '--message', 'hi', '--repeat-count', '1', '--repeat-count', '2.5']);
    expect(twice.stderr).toBe('error: --repeat-count is given twice ("1" and "2.5"); give it once.\n');
    const secret = await cli(['echo', '--message', 'hi', '--token', 'hunter22', '--token', 'hunter33']);
    expect(secret.stderr).toBe('error: --token is given twice; give it once.\n');
  });

  it('falls back to an environment variable for an empty input and documents it in --help', async () => {
    let stdout = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => undefined, env: { ECHO_TOKEN: 'from-env-123' }, cwd: process.cwd() };
    expect(await runCli(['echo', '--message', 'hi', '--json'], io, [echoCommand])).toBe(0);
    expect(JSON.parse(stdout).echoed).toBe('hi');
    const help = await cli(['echo', '--help']);
    expect(help.stdout).toContain('--token <value>  (env: $ECHO_TOKEN)');
    expect(help.stdout).toContain('--labels <value>  (comma-separated, or repeat)');
  });

  it('checks the rules across inputs, naming the flags', async () => {
    const result = await cli(['echo', '--message', 'hi', '--mode', 'json', '--labels', 'a', '--exclusive-a', 'x', '--exclusive-b', 'y']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: --exclusive-a and --exclusive-b cannot be used together; give only one of them.\n');
  });

  it('prints a user error with its location and no stack', async () => {
    const result = await cli(['echo', '--message', 'hi', '--fail-at', 'values.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: values.yaml:3:7: The file values.yaml has a bad value on line 3; fix it and run again.\n');
  });

  it('still prints the outputs of a run that completed but fails', async () => {
    const result = await cli(['echo', '--message', 'hi', '--refuse', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ echoed: 'refused', items: [] });
    expect(result.stderr).toBe('error: The echo was refused by policy.\n');
  });

  it('marks an unexpected error as a bug, with its stack', async () => {
    const result = await cli(['echo', '--message', 'hi', '--crash']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('this is a bug');
    expect(result.stderr).toContain('TypeError: boom');
  });

  it('masks secrets in everything it prints', async () => {
    const result = await cli(['echo', '--message', 'hi', '--token', 'hunter22']);
    expect(result.stderr).toContain('using token ***');
    expect(result.stderr).not.toContain('hunter22');
  });
});
