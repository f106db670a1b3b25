import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../src/lib/command.ts';
import { renderInputRefs, UserError } from '../../src/lib/errors.ts';
import { waitForArgoSync } from '../../src/commands/wait-for-argo-sync/index.ts';
import { echoCommand } from '../support/echo-command.ts';

function parse(raw: Record<string, string>) {
  const secrets: string[] = [];
  const inputs = parseInputs(echoCommand, (name) => raw[name], (value) => void secrets.push(value));
  return { inputs, secrets };
}

function parseError(raw: Record<string, string>): UserError {
  try {
    parse(raw);
  } catch (error) {
    if (error instanceof UserError) return new UserError(renderInputRefs(error.message, 'action'), { input: error.input });
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('parseInputs', () => {
  it('applies defaults, camel-cases names and types values', () => {
    const { inputs } = parse({ message: 'hi', items: 'a\n\n# comment\n  b  \n' });
    expect(inputs).toEqual({
      message: 'hi',
      repeatCount: 1,
      loud: false,
      mode: 'plain',
      items: ['a', 'b'],
      token: undefined,
      labels: undefined,
      exclusiveA: undefined,
      exclusiveB: undefined,
      failAt: undefined,
      crash: false,
      refuse: false,
    });
  });

  it('treats an empty value as not given', () => {
    expect(parse({ message: 'hi', 'repeat-count': '  ' }).inputs.repeatCount).toBe(1);
  });

  it('splits lists at commas and line breaks, dropping blanks and repeats', () => {
    expect(parse({ message: 'hi', labels: 'ml, promotion\nml\n\n , staging' }).inputs.labels).toEqual(['ml', 'promotion', 'staging']);
  });

  it('reads an environment fallback for an empty input, masks it, and names it in errors', () => {
    const secrets: string[] = [];
    const inputs = parseInputs(echoCommand, (name) => ({ message: 'hi' })[name], (value) => void secrets.push(value), { ECHO_TOKEN: 'env-secret' });
    expect(inputs.token).toBe('env-secret');
    expect(secrets).toEqual(['env-secret']);
  });

  it('checks rules across inputs once, with one sentence', () => {
    expect(parseError({ message: 'hi', 'exclusive-a': 'x', 'exclusive-b': 'y' }).message).toBe(
      'Input "exclusive-a" and input "exclusive-b" cannot be used together; give only one of them.',
    );
  });

  it('lets an input given explicitly win over the environment fallback of an input it excludes', () => {
    const env = { ARGOCD_SERVER: 'argocd.example', ARGOCD_AUTH_TOKEN: 'exported-for-other-steps' };
    const raw: Record<string, string> = { applications: 'churn', username: 'deployer', password: 'pw' };
    const inputs = parseInputs(waitForArgoSync, (name) => raw[name], () => undefined, env);
    expect([inputs.authToken, inputs.username, inputs.password]).toEqual([undefined, 'deployer', 'pw']);
    // Both given explicitly: still one sentence.
    expect(() => parseInputs(waitForArgoSync, (name) => ({ ...raw, 'auth-token': 't' })[name], () => undefined, env)).toThrow(/cannot be used together/);
  });

  it('masks secrets as soon as they are read', () => {
    expect(parse({ message: 'hi', token: 's3cret' }).secrets).toEqual(['s3cret']);
  });

  it('refuses a missing required input with its description', () => {
    expect(parseError({}).message).toBe('Input "message" is required by echo: what to echo.');
  });

  it.each([
    [{ 'repeat-count': 'two' }, 'Input "repeat-count" must be a whole number (got "two").'],
    [{ 'repeat-count': '1.5' }, 'Input "repeat-count" must be a whole number (got "1.5").'],
    [{ 'repeat-count': '9' }, 'Input "repeat-count" must be at most 5 (got "9").'],
    [{ loud: 'yes' }, 'Input "loud" must be true or false (got "yes").'],
    [{ mode: 'xml' }, 'Input "mode" must be one of "plain", "json" (got "xml").'],
  ])('refuses %j in one sentence', (raw, message) => {
    const error = parseError({ message: 'hi', ...raw });
    expect(error.message).toBe(message);
    expect(error.input).toBe(Object.keys(raw)[0]);
  });
});
