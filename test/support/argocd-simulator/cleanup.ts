/**
 * The per-test clean-up every file that starts simulators repeats: after each test, close the clients it tracked
 * (their open watch streams first), then its simulators, then fail the test if a simulator saw a request the real Argo
 * CD would refuse (`sim.violations`). Test files import it from here, not from index.ts: it registers a vitest hook,
 * and index.ts also serves the benchmarks and the demo.
 */
import { afterEach, expect } from 'vitest';
import type { ArgoCdSimulator } from './simulator.ts';

/** Anything closed after the test before the simulators, e.g. an `ArgoCdClient`. */
export interface Closable {
  close(): unknown;
}

export interface SimulatorTracker {
  /** Closes `sim` after the current test and expects its `violations` empty; answers `sim`. */
  track<T extends ArgoCdSimulator>(sim: T): T;
  /** Closes `client` after the current test, before the simulators; answers `client`. */
  trackClient<T extends Closable>(client: T): T;
}

/** Registers the `afterEach` (call it once, at the top of a test file or `describe`) and answers its `track` functions. */
export function trackSimulators(): SimulatorTracker {
  const sims: ArgoCdSimulator[] = [];
  const clients: Closable[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (client) => client.close()));
    const closed = sims.splice(0);
    await Promise.all(closed.map((sim) => sim.close()));
    for (const sim of closed) expect(sim.violations).toEqual([]);
  });
  return {
    track(sim) {
      sims.push(sim);
      return sim;
    },
    trackClient(client) {
      clients.push(client);
      return client;
    },
  };
}
