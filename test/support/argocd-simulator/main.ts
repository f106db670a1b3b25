/**
 * The simulator as a command, for the demo and workflow tests:
 *   node test/support/argocd-simulator/main.ts --port 0 --config sim.json [--host 127.0.0.1]
 * sim.json holds ArgoCdSimulatorOptions (apps with their bare repositories, timings, bad versions, metrics). Prints one
 * JSON line {"url", "token", "metricsUrl"} when ready; stops on SIGTERM or SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startArgoCdSimulator, type ArgoCdSimulatorOptions } from './simulator.ts';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, config: { type: 'string' } },
});
const config: ArgoCdSimulatorOptions = values.config === undefined ? {} : (JSON.parse(await readFile(values.config, 'utf8')) as ArgoCdSimulatorOptions);
const sim = await startArgoCdSimulator({ ...config, port: Number(values.port), host: values.host });
const origin = new URL(sim.url).origin;
console.log(JSON.stringify({ url: sim.url, token: sim.token, metricsUrl: `${origin}/metrics` }));

const stop = async (): Promise<void> => {
  await sim.close();
  if (sim.violations.length > 0) console.error(`argocd-simulator violations:\n${sim.violations.join('\n')}`);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
