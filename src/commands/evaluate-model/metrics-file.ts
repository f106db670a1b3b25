/** The candidate-metrics / champion-metrics files: a JSON object `{ "metric": number }` measured elsewhere. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inputRef, UserError } from '../../lib/errors.ts';

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export async function readMetricsFile(file: string, workspace: string, input: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(path.resolve(workspace, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UserError(`The metrics path "${file}" is a directory, not a file; set ${inputRef(input)} to the JSON file itself.`, { input });
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`The metrics file "${file}" cannot be read (permission denied); check ${inputRef(input)} and the file's permissions.`, { input });
    throw new UserError(`The metrics file "${file}" does not exist; check ${inputRef(input)} (relative paths are resolved against the workspace).`, { input });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? lineAt(text, Number(position[1])) : undefined;
    throw new UserError(`The metrics file ${file} (${inputRef(input)})${line === undefined ? '' : ` line ${line}`} is not valid JSON (${message}); write it as {"metric": number, ...}.`, {
      input,
      location: { file, ...(line === undefined ? {} : { line }) },
    });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`The metrics file ${file} (${inputRef(input)}) must hold a JSON object such as {"latency_p95_ms": 120}.`, { input, location: { file, line: 1 } });
  }
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const offset = text.indexOf(JSON.stringify(name));
      throw new UserError(`The metrics file ${file} (${inputRef(input)}) has ${JSON.stringify(value)} for "${name}", which is not a number; every value must be a number.`, {
        input,
        location: { file, ...(offset === -1 ? {} : { line: lineAt(text, offset) }) },
      });
    }
    metrics[name] = value;
  }
  return metrics;
}
