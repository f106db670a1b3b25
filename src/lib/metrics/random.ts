/**
 * Seeded pseudo-random numbers for the bootstrap: xoshiro128** (Blackman & Vigna), 32-bit output, state seeded
 * with splitmix32 so that any integer seed (including 0) gives a well-mixed state. The state lives in a
 * Uint32Array so the hot loop can keep it in locals and store it back once.
 */
export interface Rng {
  readonly state: Uint32Array;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`The bootstrap seed must be an integer, got ${seed}.`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  const state = new Uint32Array(4);
  let x = splitmix32(low ^ Math.imul(high, 0x27d4eb2d));
  for (let i = 0; i < 4; i++) {
    state[i] = x;
    x = splitmix32(x + high + i);
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return { state };
}

/** Next 32-bit unsigned value. Convenient for tests; the resampling loop inlines the same steps. */
export function nextUint32(rng: Rng): number {
  const s = rng.state;
  const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  s[1] = s1 ^ n2;
  s[0] = s0 ^ n3;
  s[2] = n2 ^ t;
  s[3] = (n3 << 11) | (n3 >>> 21);
  return result;
}

const DIRECT_ROWS = 2097152;

/** Exact high word of x · rows for a 32-bit x: directly below 2^21 rows (product < 2^53), else in 16-bit halves. */
function highWord(x: number, rows: number): number {
  return rows <= DIRECT_ROWS
    ? Math.floor((x * rows) / 4294967296)
    : Math.floor(((x >>> 16) * rows + Math.floor(((x & 0xffff) * rows) / 65536)) / 65536);
}

/** The rejection bound of Lemire's method: 2^32 mod rows. */
function rejectionBound(rows: number): number {
  return (4294967296 - rows) % rows;
}

/**
 * A uniform index in [0, rows): Lemire's multiply-shift with rejection, so unbiased for any rows < 2^32.
 * `rejectBelow` is rejectionBound(rows), passed in by loops that draw many indices.
 */
export function nextIndex(rng: Rng, rows: number, rejectBelow = rejectionBound(rows)): number {
  for (;;) {
    const x = nextUint32(rng);
    if (Math.imul(x, rows) >>> 0 >= rejectBelow) return highWord(x, rows);
  }
}

/**
 * Draws one bootstrap resample of `rows` rows as multiplicity counts: `counts[i]` becomes how many of the `rows`
 * uniform draws (with replacement) picked row i. `counts` is overwritten; nothing is allocated.
 */
export function drawResampleCounts(rng: Rng, rows: number, counts: Float64Array): void {
  counts.fill(0, 0, rows);
  const rejectBelow = rejectionBound(rows);
  for (let drawn = 0; drawn < rows; drawn++) counts[nextIndex(rng, rows, rejectBelow)]! += 1;
}

/**
 * The same draws as `drawResampleCounts`, into bytes: the hot path of the bootstrap (a 1-byte count per row keeps
 * the counts in cache). Returns false if a row was drawn more than 255 times (for n rows each count is about
 * Poisson(1), so this does not happen in practice); the caller then replays the resample with `drawResampleCounts`
 * from the state before.
 */
export function drawCompactCounts(rng: Rng, rows: number, counts: Uint8Array): boolean {
  counts.fill(0, 0, rows);
  let largest = 0;
  const rejectBelow = rejectionBound(rows);
  if (rows > DIRECT_ROWS) {
    for (let drawn = 0; drawn < rows; drawn++) {
      const index = nextIndex(rng, rows, rejectBelow);
      const count = counts[index]! + 1;
      counts[index] = count;
      if (count > largest) largest = count;
    }
    return largest < 256;
  }
  // Below 2^21 rows x · rows is exact in a double; the generator is inlined and must stay identical to nextUint32.
  const st = rng.state;
  let s0 = st[0]!, s1 = st[1]!, s2 = st[2]!, s3 = st[3]!;
  let fits = true;
  let drawn = 0;
  while (drawn < rows) {
    const m = Math.imul(s1, 5);
    const x = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s1 ^= n2;
    s0 ^= n3;
    s2 = n2 ^ t;
    s3 = (n3 << 11) | (n3 >>> 21);
    if (Math.imul(x, rows) >>> 0 < rejectBelow) continue;
    const index = Math.floor((x * rows) / 4294967296);
    const count = counts[index]! + 1;
    counts[index] = count;
    if (count === 256) fits = false;
    drawn++;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
  return fits;
}
