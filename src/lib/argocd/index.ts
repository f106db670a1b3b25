export * from './client.ts';
export * from './errors.ts';
export * from './rollback.ts';
export * from './server.ts';
export * from './types.ts';
export * from './wait.ts';
