// The seeded generator and its streams: one seed replays, streams differ.

import t from "tap";
import { seededRandom, streamSeed } from "../../lib/core/random.js";

const draws = (seed: number, n = 5) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => r());
};

t.test("a seed replays the same draws, all in [0, 1)", async (t) => {
  t.same(draws(7), draws(7));
  t.ok(draws(7, 1000).every((x) => x >= 0 && x < 1));
});

t.test("the streams of one run seed differ from each other and replay with the seed", async (t) => {
  const seeds = [1, 2, 3, 4, 5].map((n) => streamSeed(1, n));
  t.equal(new Set(seeds).size, 5, "five sessions, five seeds");
  t.not(streamSeed(1, 1), streamSeed(2, 1), "another run seed, another stream");
  t.equal(streamSeed(1, 3), streamSeed(1, 3));
  t.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff), "each a 32-bit seed");
  t.not(draws(seeds[0]!)[0], draws(seeds[1]!)[0]);
});
