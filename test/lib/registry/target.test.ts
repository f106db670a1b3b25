/**
 * Which registry the registry inputs name, at the lib level (values as parseInputs hands them over, environment
 * fallbacks already applied). How the environment fills the inputs is tested through the command, in
 * test/commands/register-model/registry-inputs.test.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { FileRegistry, openRegistry, registryUriProblem, resolveRegistryTarget, type RegistryTargetOptions } from '../../../src/lib/registry/index.ts';

const workspace = path.resolve('/work/space');

function target(options: Partial<RegistryTargetOptions> = {}) {
  const secrets: string[] = [];
  const resolved = resolveRegistryTarget({ workspace, setSecret: (v) => void secrets.push(v), ...options });
  return { resolved, secrets };
}

function refusal(options: Partial<RegistryTargetOptions>): UserError {
  try {
    target(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return new UserError(renderInputRefs((error as UserError).message, 'action'), { input: (error as UserError).input });
  }
  throw new Error('expected a UserError');
}

describe('choosing the registry', () => {
  it('defaults to the file registry in .ml-gitops/registry', () => {
    expect(target().resolved).toEqual({ kind: 'file', directory: path.join(workspace, '.ml-gitops', 'registry') });
    expect(target({ uri: '  ' }).resolved.kind).toBe('file');
  });

  it('reads an http(s) URL as MLflow, without a trailing slash', () => {
    expect(target({ uri: 'http://mlflow:5000/' }).resolved).toEqual({ kind: 'mlflow', trackingUri: 'http://mlflow:5000', auth: undefined });
  });

  it.each([
    ['models/registry', path.join(workspace, 'models/registry')],
    ['/srv/registry', '/srv/registry'],
    ['file:///srv/my%20registry', '/srv/my registry'],
    ['file://localhost/srv/registry', '/srv/registry'],
    ['file://registry', path.join(workspace, 'registry')],
    ['file:registry', path.join(workspace, 'registry')],
  ])('reads %s as a directory', (uri, directory) => {
    expect(target({ uri }).resolved).toEqual({ kind: 'file', directory });
    expect(registryUriProblem(uri)).toBeUndefined();
  });

  it.each(['s3://bucket/registry', 'databricks', 'databricks-uc', 'databricks://profile', 'sqlite:///mlflow.db', 'ftp://host', 'http://[bad'])(
    'refuses %s in one sentence naming the input and the accepted forms',
    (uri) => {
      const error = refusal({ uri });
      expect(error.input).toBe('registry-uri');
      expect(error.message).toMatch(/^Input "registry-uri" .* use an http\(s\):\/\/ MLflow tracking server URL, a file:\/\/<dir> URI, or a directory path relative to the workspace\.$/);
    },
  );

  it('opens a FileRegistry or an MLflow client', () => {
    const options = { env: {}, workspace, setSecret: () => undefined };
    expect(openRegistry({ ...options, uri: 'reg' })).toBeInstanceOf(FileRegistry);
    expect(openRegistry({ ...options, uri: 'https://mlflow.example.com/prefix/' }).location).toBe('https://mlflow.example.com/prefix');
  });
});

describe('registry credentials', () => {
  const http = { uri: 'https://mlflow.example.com' };

  it('prefers the token, then the user name and password, masking each', () => {
    const withToken = target({ ...http, token: 'in-tok', username: 'u', password: 'p' });
    expect(withToken.resolved).toMatchObject({ auth: { kind: 'bearer', token: 'in-tok' } });
    expect(withToken.secrets).toContain('in-tok');
    const basic = target({ ...http, username: 'u', password: 'p' });
    expect(basic.resolved).toMatchObject({ auth: { kind: 'basic', username: 'u', password: 'p' } });
    expect(basic.secrets).toEqual(['p', Buffer.from('u:p').toString('base64')]);
  });

  it('refuses half a user/password pair, naming both inputs', () => {
    expect(refusal({ ...http, username: 'u' }).message).toBe(
      'Input "registry-username" is set but input "registry-password" is not; set both, or use input "registry-token".',
    );
  });

  it('refuses credentials inside the URL and masks the password', () => {
    const secrets: string[] = [];
    expect(() => resolveRegistryTarget({ uri: 'https://me:s3cret@mlflow.example.com', workspace, setSecret: (v) => void secrets.push(v) })).toThrow(
      /must not carry credentials/,
    );
    expect(secrets).toEqual(['s3cret']);
  });

  it('does not ask for credentials for a file registry', () => {
    expect(target({ uri: 'reg', token: 'unused' }).secrets).toEqual([]);
  });
});
