import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { inputRef, UserError } from '../../lib/errors.ts';
import { NEWLINE, type PredictionsSource } from './source.ts';

/** Bytes per read, and per gzip output chunk. */
export const CHUNK_BYTES = 1 << 20;

/**
 * The file in blocks of whole lines (the last block may lack its final line break). Each block is only valid until
 * the next one is asked for: an uncompressed file is read into one reused buffer, so reading allocates nothing per
 * chunk and memory stays flat.
 */
export async function* lineBlocks(source: PredictionsSource, gzip: boolean): AsyncGenerator<Buffer> {
  const path = source.path;
  if (gzip) {
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES }).pipe(createGunzip({ chunkSize: CHUNK_BYTES }));
    try {
      let carry: Buffer | undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
        const last = bytes.lastIndexOf(NEWLINE);
        if (last === -1) {
          carry = bytes;
          continue;
        }
        yield bytes.subarray(0, last + 1);
        carry = last + 1 < bytes.length ? Buffer.from(bytes.subarray(last + 1)) : undefined;
      }
      if (carry) yield carry;
    } catch (error) {
      throw new UserError(
        `The predictions file ${source.display} (${inputRef('predictions')}) starts like gzip but cannot be decompressed (${(error as Error).message}), so it is cut short or corrupt; compress it again with gzip.`,
        {
          input: 'predictions',
          location: { file: source.display },
        },
      );
    } finally {
      stream.destroy();
    }
    return;
  }
  // Synchronous reads: a step does nothing else meanwhile, and each read of a cached file is a memory copy, cheaper
  // than a round trip through the thread pool.
  const descriptor = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = 0;
    let position = 0;
    for (;;) {
      if (carry === buffer.length) {
        // A line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, carry);
        buffer = bigger;
      }
      const bytesRead = readSync(descriptor, buffer, carry, buffer.length - carry, position);
      position += bytesRead;
      const filled = carry + bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) yield buffer.subarray(0, filled);
        return;
      }
      const last = buffer.lastIndexOf(NEWLINE, filled - 1);
      if (last === -1) {
        carry = filled;
        continue;
      }
      yield buffer.subarray(0, last + 1);
      buffer.copy(buffer, 0, last + 1, filled);
      carry = filled - last - 1;
    }
  } finally {
    closeSync(descriptor);
  }
}
