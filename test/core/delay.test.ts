import t from "tap";
import { makeDelayFn, parseDelaySpec } from "../../lib/core/delay.js";

t.test("a fixed delay applies to every link", async (t) => {
  const d = makeDelayFn("150ms", 1);
  t.equal(d(1, 2), 150);
  t.equal(d(3, 1), 150);
});

t.test("a link rule applies only to that direction, and the first matching rule wins", async (t) => {
  const d = makeDelayFn("2-1:500ms,*-3:1s", 1);
  t.equal(d(2, 1), 500);
  t.equal(d(1, 2), 0);
  t.equal(d(1, 3), 1000);
});

t.test("a random range is reproducible from its seed and stays in range", async (t) => {
  const a = makeDelayFn("20..200ms", 7);
  const b = makeDelayFn("20..200ms", 7);
  const xs = Array.from({ length: 50 }, () => a(1, 2));
  t.same(xs, Array.from({ length: 50 }, () => b(1, 2)));
  t.ok(xs.every((x) => x >= 20 && x <= 200));
  t.ok(new Set(xs).size > 10, "the draws vary");
});

t.test("bad specs are named", async (t) => {
  t.throws(() => parseDelaySpec("fast"), { message: '--delay: expected rules like 150ms, 20..200ms or 2-1:500ms, found "fast"' });
  t.throws(() => parseDelaySpec("200..20ms"), { message: '--delay: range "200..20ms" ends before it starts' });
  t.throws(() => parseDelaySpec("2m"), /expected rules/);
  t.throws(() => parseDelaySpec("120s"), { message: '--delay: "120s" exceeds the limit of 60000 ms' });
});
