// A benchmark stopped half-way (SIGTERM, Ctrl-C) leaves nothing behind: the
// process it was timing is killed and its temp dir removed, and it exits as
// the signal asked.

import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { processesWith } from "../helpers/processes.js";
import { runCli } from "../helpers/run-cli.js";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  t.test(`bench stopped by ${signal} while it times a run kills that run and removes its temp dir`, async (t) => {
    const tmp = join(t.testdir({}), "tmp");
    mkdirSync(tmp);
    let sent = false;
    const r = await runCli(t, ["bench", "--quick", "--json", join(tmp, "..", "bench.json")], {
      env: { TMPDIR: tmp },
      timeoutMs: 120_000,
      // Once it has begun a case, and a timed child is running (the temp dir holds the probe's target or the scenario).
      onStderr: (text, child) => {
        if (sent || !text.includes("repetition 1 of 1")) return;
        sent = true;
        setTimeout(() => child.kill(signal), 300);
      },
    });
    t.ok(sent, "the signal was sent during a case");
    t.equal(r.code, signal === "SIGTERM" ? 143 : 130, `exits as ${signal} asked`);
    t.same(readdirSync(tmp), [], "no temp dir is left");
    let left = processesWith("environ", `TMPDIR=${tmp}`);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      left = processesWith("environ", `TMPDIR=${tmp}`);
    }
    t.same(left, [], "no process it started is left");
  });
}
