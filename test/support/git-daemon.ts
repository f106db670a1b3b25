/**
 * A real `git daemon` serving the bare repositories under one directory over git:// on 127.0.0.1, with pushes
 * enabled, for tests that need a network remote (concurrent pushes race on the server side exactly as in production).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './ports.ts';

export interface GitDaemon {
  /** `git://127.0.0.1:<port>/` — append the repository's directory name. */
  readonly baseUrl: string;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `git daemon` exporting every repository below `basePath`; undefined when git daemon is not available. */
export async function startGitDaemon(basePath: string, env: Record<string, string>): Promise<GitDaemon | undefined> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    ['daemon', '--export-all', '--enable=receive-pack', `--base-path=${basePath}`, `--port=${port}`, '--listen=127.0.0.1', '--reuseaddr', basePath],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.stderr?.resume();
  for (let i = 0; i < 100 && !exited; i++) {
    if (await canConnect(port)) {
      return {
        baseUrl: `git://127.0.0.1:${port}/`,
        stop: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!exited) child.kill('SIGKILL');
  return undefined;
}
