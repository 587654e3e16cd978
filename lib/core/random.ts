// The one seeded random generator bank-sim uses (scenario generation, delay
// jitter, fault injection, simulation): mulberry32, tiny and fast, so that a
// seed replays a run exactly.

/** Returns a function giving uniform floats in [0, 1), determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of stream `n` of a run seeded with `seed` (one stream per customer
 * session, say): streams of one run differ, and each replays with the run.
 */
export function streamSeed(seed: number, n: number): number {
  return (seed + Math.imul(n, 0x9e3779b9)) >>> 0;
}
