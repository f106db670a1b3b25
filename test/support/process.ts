/**
 * What the test peers (MLflow, Prometheus, the HTTP stand-ins) share: waiting for a spawned server to come up, the
 * tail of its log when it does not, stopping it (or its whole process group) with a grace period, and serving a
 * local HTTP server on a free loopback port.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The last lines of a peer's log, for the error that says why it did not start. */
export async function logTail(logFile: string, lines = 40): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(child)) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Stops a peer: SIGTERM, then SIGKILL after `graceMs`. With `group`, the signals go to its process group (a server
 * spawned `detached` whose workers share its group); the peers' stores are thrown away, so no longer grace is needed.
 */
export async function stopProcess(child: ChildProcess, options: { group?: boolean; graceMs?: number } = {}): Promise<void> {
  if (child.pid === undefined || hasExited(child)) return;
  const pid = child.pid;
  const signal = (name: NodeJS.Signals): void => {
    try {
      if (options.group === true) process.kill(-pid, name);
      else child.kill(name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.graceMs ?? 3_000);
    }),
  ]);
  clearTimeout(timer);
  if (!stopped) signal('SIGKILL');
  await exited(child);
}

/**
 * Polls `isUp` until it answers true, the child exits or `timeoutMs` passes. On failure, runs `stop` and throws with
 * why and the log's tail, so a peer that cannot start says so in the test output.
 */
export async function waitUntilUp(
  child: ChildProcess,
  isUp: () => Promise<boolean>,
  options: { what: string; timeoutMs: number; intervalMs: number; logFile: string; stop: () => Promise<void> },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !hasExited(child)) {
    if (await isUp()) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  const why = hasExited(child) ? `exited (${child.exitCode ?? child.signalCode})` : `was not ready within ${options.timeoutMs} ms`;
  const tail = await logTail(options.logFile);
  await options.stop();
  throw new Error(`${options.what} ${why}; its log:\n${tail}`);
}

/** Starts `server` on a free loopback port; `close` also ends kept-alive connections, so a test never hangs on it. */
export async function listenOnLoopback(server: Server): Promise<{ port: number; url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
