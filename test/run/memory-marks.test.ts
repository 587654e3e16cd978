// MemoryMarks reads the resident memory once at each quarter of the planned
// operations, in order, however the completed count arrives; on a real
// process, the readings are this process's own.

import t from "tap";
import { MemoryMarks } from "../../lib/run/memory-marks.js";

const MB = 1024 * 1024;

t.test("one reading at each quarter of the planned operations, the count at which it was read", async (t) => {
  const readAt: number[] = [];
  let done = 0;
  const marks = new MemoryMarks(100, () => {
    readAt.push(done);
    return (100 + done) * MB;
  });
  for (done = 1; done <= 100; done++) marks.passed(done);
  t.same(readAt, [25, 50, 75, 100]);
  t.same(marks.rssMb, [125, 150, 175, 200]);
  marks.passed(101);
  t.equal(marks.rssMb.length, 4, "nothing past the last mark");
});

t.test("a count that jumps past several marks reads once for each; a short run has fewer readings", async (t) => {
  const jumping = new MemoryMarks(8, () => 1.25 * MB);
  jumping.passed(7);
  t.same(jumping.rssMb, [1.3, 1.3, 1.3], "2, 4 and 6 passed at once (to 0.1 MB)");
  const stopped = new MemoryMarks(1000, () => MB);
  for (let d = 1; d <= 600; d++) stopped.passed(d);
  t.equal(stopped.rssMb.length, 2, "stopped after 600 of 1,000: the quarter and the half");
});

t.test("tiny or empty plans: marks never repeat, none for no operations", async (t) => {
  const two = new MemoryMarks(2, () => MB);
  two.passed(1);
  two.passed(2);
  t.same(two.rssMb, [1, 1], "1 (a quarter and a half round to 1) and 2");
  const none = new MemoryMarks(0, () => MB);
  none.passed(5);
  t.same(none.rssMb, []);
});

t.test("by default it reads this process's resident memory", async (t) => {
  const marks = new MemoryMarks(1);
  marks.passed(1);
  const rss = process.memoryUsage.rss() / MB;
  t.ok(marks.rssMb[0]! > 1 && Math.abs(marks.rssMb[0]! - rss) < rss / 2, `${marks.rssMb[0]} MB, near the ${rss.toFixed(1)} MB read after it`);
});
