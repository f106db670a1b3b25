import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { FileRegistry, openRegistry, resolveRegistryTarget, type OpenRegistryOptions } from '../../../src/lib/registry/index.ts';

const workspace = path.resolve('/work/space');

function target(options: Partial<OpenRegistryOptions> = {}) {
  const secrets: string[] = [];
  const resolved = resolveRegistryTarget({ env: {}, workspace, setSecret: (v) => void secrets.push(v), ...options });
  return { resolved, secrets };
}

function refusal(options: Partial<OpenRegistryOptions>): UserError {
  try {
    target(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('choosing the registry', () => {
  it('defaults to the file registry in .ml-gitops/registry', () => {
    expect(target().resolved).toEqual({ kind: 'file', directory: path.join(workspace, '.ml-gitops', 'registry') });
    expect(target({ uri: '  ' }).resolved.kind).toBe('file');
  });

  it('uses MLFLOW_TRACKING_URI unless the input is set', () => {
    expect(target({ env: { MLFLOW_TRACKING_URI: 'http://mlflow:5000/' } }).resolved).toEqual({
      kind: 'mlflow',
      trackingUri: 'http://mlflow:5000',
      auth: undefined,
    });
    expect(target({ uri: 'reg', env: { MLFLOW_TRACKING_URI: 'http://mlflow:5000' } }).resolved).toEqual({
      kind: 'file',
      directory: path.join(workspace, 'reg'),
    });
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
  });

  it.each(['s3://bucket/registry', 'databricks', 'databricks-uc', 'databricks://profile', 'sqlite:///mlflow.db', 'ftp://host'])(
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

  it('prefers the token input, then the user inputs, then the environment, masking each', () => {
    const env = { MLFLOW_TRACKING_TOKEN: 'env-tok', MLFLOW_TRACKING_USERNAME: 'env-user', MLFLOW_TRACKING_PASSWORD: 'env-pw' };
    const withToken = target({ ...http, token: 'in-tok', env });
    expect(withToken.resolved).toMatchObject({ auth: { kind: 'bearer', token: 'in-tok' } });
    expect(withToken.secrets).toContain('in-tok');
    expect(target({ ...http, env }).resolved).toMatchObject({ auth: { kind: 'bearer', token: 'env-tok' } });
    const basic = target({ ...http, env: { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' } });
    expect(basic.resolved).toMatchObject({ auth: { kind: 'basic', username: 'u', password: 'p' } });
    expect(basic.secrets).toEqual(['p', Buffer.from('u:p').toString('base64')]);
    const inputs = target({ ...http, username: 'iu', password: 'ip', env: { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' } });
    expect(inputs.resolved).toMatchObject({ auth: { kind: 'basic', username: 'iu', password: 'ip' } });
  });

  it('refuses half a user/password pair', () => {
    expect(refusal({ ...http, username: 'u' }).message).toMatch(/user name is set but its password is not/);
    expect(refusal({ ...http, env: { MLFLOW_TRACKING_PASSWORD: 'p' } }).message).toMatch(/^MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not/);
  });

  it('refuses credentials inside the URL and masks the password', () => {
    const secrets: string[] = [];
    expect(() =>
      resolveRegistryTarget({ uri: 'https://me:s3cret@mlflow.example.com', env: {}, workspace, setSecret: (v) => void secrets.push(v) }),
    ).toThrow(/must not carry credentials in the URL/);
    expect(secrets).toEqual(['s3cret']);
  });

  it('does not ask for credentials for a file registry', () => {
    expect(target({ uri: 'reg', token: 'unused' }).secrets).toEqual([]);
  });
});
