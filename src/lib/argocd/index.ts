export * from './client.ts';
export * from './errors.ts';
export * from './server.ts';
export * from './types.ts';
