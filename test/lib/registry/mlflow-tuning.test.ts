import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { mlflowClientTuning, openRegistry } from '../../../src/lib/registry/index.ts';

describe("the MLflow client's tuning variables", () => {
  it('are read as the official client reads them', () => {
    expect(
      mlflowClientTuning({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '1.5', MLFLOW_HTTP_REQUEST_TIMEOUT: '30' }),
    ).toEqual({ retry: { maxRetries: 2, backoffFactor: 1.5 }, requestTimeoutMs: 30_000 });
    expect(mlflowClientTuning({})).toEqual({});
  });

  it('are refused in one sentence when malformed', () => {
    expect(() => mlflowClientTuning({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' })).toThrow(
      new UserError('The environment variable MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a whole number of at least 0 (got "many"); fix or unset it.'),
    );
  });

  describe('against a server that is always unavailable', () => {
    let server: http.Server;
    let requests = 0;
    beforeAll(async () => {
      server = http.createServer((request, response) => {
        requests++;
        request.resume();
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down for maintenance' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('MLFLOW_HTTP_REQUEST_MAX_RETRIES bounds the retries', async () => {
      const registry = openRegistry({
        uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1' },
        workspace: process.cwd(),
        setSecret: () => undefined,
      });
      await expect(registry.getVersion('churn', '1')).rejects.toThrow(/down for maintenance/);
      expect(requests).toBe(2);
    });
  });
});
