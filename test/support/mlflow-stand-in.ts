/**
 * A tiny MLflow stand-in for what a real server will not do on demand: keep a version PENDING_REGISTRATION, fail
 * it, or refuse the credentials. It answers the registry calls register-model makes, checks each request's shape
 * (method, path, JSON body) like MLflow does, and records them. Everything else is tested against real MLflow.
 */
import http from 'node:http';
import { listenOnLoopback } from './process.ts';

export interface StandInOptions {
  /** Status of every version the stand-in creates (default READY). */
  versionStatus?: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  statusMessage?: string;
  /** Answer every request with this status and MLflow's error body (401 UNAUTHENTICATED, 403 PERMISSION_DENIED). */
  refuseWith?: 401 | 403;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export interface StandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const API = '/api/2.0/mlflow/';

export async function startMlflowStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  const versions: Record<string, unknown>[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const text = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const invalid = (message: string): void => send(400, { error_code: 'INVALID_PARAMETER_VALUE', message });
      let body: unknown;
      if (text !== '') {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return invalid('Content-Type must be application/json');
        try {
          body = JSON.parse(text);
        } catch {
          return invalid('Malformed JSON');
        }
      }
      const path = url.pathname.startsWith(API) ? url.pathname.slice(API.length) : url.pathname;
      requests.push({
        method: req.method ?? '',
        path,
        query: Object.fromEntries(url.searchParams),
        body,
        authorization: req.headers.authorization,
      });
      if (options.refuseWith === 401) return send(401, { error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' });
      if (options.refuseWith === 403) return send(403, { error_code: 'PERMISSION_DENIED', message: 'Permission denied.' });

      const fields = (body ?? {}) as Record<string, unknown>;
      const route = `${req.method ?? ''} ${path}`;
      switch (route) {
        case 'POST registered-models/create':
          if (typeof fields.name !== 'string' || fields.name === '') return invalid('Missing value for required parameter \'name\'.');
          return send(200, { registered_model: { name: fields.name } });
        case 'GET model-versions/search': {
          const filter = url.searchParams.get('filter') ?? '';
          const matches = versions.filter((v) =>
            ((v.tags ?? []) as { key: string; value: string }[]).some((tag) => filter.includes(`\`${tag.key}\`='${tag.value}'`)),
          );
          return send(200, { model_versions: matches });
        }
        case 'POST model-versions/create': {
          if (typeof fields.name !== 'string' || typeof fields.source !== 'string' || fields.source === '') {
            return invalid('Missing value for required parameter \'source\'.');
          }
          if (!Array.isArray(fields.tags)) return invalid('tags must be a list');
          const version = {
            name: fields.name,
            version: String(versions.length + 1),
            source: fields.source,
            run_id: fields.run_id ?? '',
            status: options.versionStatus ?? 'READY',
            status_message: options.statusMessage ?? '',
            tags: fields.tags,
            aliases: [],
            creation_timestamp: Date.now(),
          };
          versions.push(version);
          return send(200, { model_version: version });
        }
        case 'GET model-versions/get': {
          const found = versions.find((v) => v.name === url.searchParams.get('name') && v.version === url.searchParams.get('version'));
          return found === undefined
            ? send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model version not found' })
            : send(200, { model_version: found });
        }
        default:
          return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No stand-in for ${route}` });
      }
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    requests,
    close,
  };
}
