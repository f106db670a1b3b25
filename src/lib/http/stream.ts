/**
 * Framing of streamed answers: newline-delimited JSON (one object per line, as Argo CD's watch sends by default) and
 * server-sent events (`data:` lines, an empty line ends an event, `:` lines are keepalives).
 */

/** Longest line accepted; a larger one means the server is not speaking either framing. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

export type StreamFormat = 'ndjson' | 'sse';

/** One frame of a stream: a JSON value, or a keepalive (SSE comment) that says the connection is alive. */
export type StreamFrame = { readonly kind: 'data'; readonly text: string } | { readonly kind: 'keepalive' };

/** Splits chunks into lines (`\n` or `\r\n`), the last unterminated line included when the stream ends. */
export async function* lines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE_BYTES) throw new RangeError(`a streamed line is longer than ${MAX_LINE_BYTES} bytes`);
  }
  pending += decoder.decode();
  if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}

/** Newline-delimited JSON: every non-blank line is one value. */
export async function* ndjsonFrames(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<StreamFrame> {
  for await (const line of lines(chunks)) {
    if (line.trim() !== '') yield { kind: 'data', text: line };
  }
}

/** Server-sent events: the `data:` lines of an event joined with `\n`; `event:`, `id:` and `retry:` are ignored. */
export async function* sseFrames(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<StreamFrame> {
  let data: string[] = [];
  for await (const line of lines(chunks)) {
    if (line === '') {
      if (data.length > 0) yield { kind: 'data', text: data.join('\n') };
      data = [];
    } else if (line.startsWith(':')) {
      yield { kind: 'keepalive' };
    } else {
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
    }
  }
  // A stream cut mid-event: the incomplete event is dropped, as EventSource does.
}

export function framesOf(format: StreamFormat, chunks: AsyncIterable<Buffer | string>): AsyncGenerator<StreamFrame> {
  return format === 'sse' ? sseFrames(chunks) : ndjsonFrames(chunks);
}
