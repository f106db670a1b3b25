export { ArgoCdSimulator, startArgoCdSimulator, type AppObject, type RequestRecord } from './simulator.ts';
export type * from './types.ts';
export { createManifestRepo, modelValues, servingDeployment, type ManifestRepo } from './repo.ts';
