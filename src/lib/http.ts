/**
 * The shared HTTP layer: one client for JSON APIs (retries, timeouts, typed errors), streamed answers (NDJSON and
 * server-sent events), TLS and proxy settings, and one way to word a server's failure. Split over `./http/`; this
 * module is the one to import.
 */
export * from './http/client.ts';
export * from './http/errors.ts';
export * from './http/service-error.ts';
export * from './http/stream.ts';
export * from './http/transport.ts';
