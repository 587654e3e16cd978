// The checker's Lamport rules: a history whose clocks keep Lamport's rules
// passes; each way a clock can break them (a receipt not above its send, a
// process whose clock does not increase, a propagation stamped before the
// request that made it, two events of one branch with one clock) is a
// violation naming the events; a restart is judged in part; a history with
// no clocks is skipped. The same on a real cluster's history: one receipt
// clock lowered below its send is caught.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { checkHistory, type CheckReport } from "../../lib/checker/checker.js";
import { formatReport } from "../../lib/checker/report.js";
import { readHistory } from "../../lib/history/reader.js";
import type { ApplyRecord, CompleteRecord, HistoryRecord, InvokeRecord } from "../../lib/history/types.js";
import { HistoryBuilder } from "../helpers/history-builder.js";
import { COURSE } from "../helpers/paths.js";
import { runFile } from "../helpers/run-scenario.js";

/** Deposits and withdrawals at three branches by two sessions, every branch up to date after each. */
function clean(): HistoryRecord[] {
  const h = new HistoryBuilder({ branches: [1, 2, 3], initial: 40000, guarantees: ["mw", "ryw"] });
  h.deposit("c1", 1, 1000);
  h.sync();
  h.withdraw("c1", 1, 500);
  h.deposit("c2", 2, 700);
  h.sync();
  h.query("c2", 3);
  return h.records();
}

const lamportOf = (r: CheckReport) => r.summary.find((s) => s.rule === "lamport")!;
const messages = (r: CheckReport) => r.violations.filter((v) => v.rule === "lamport").map((v) => v.message);
const copy = (records: HistoryRecord[]) => JSON.parse(JSON.stringify(records)) as HistoryRecord[];
const invokes = (rs: HistoryRecord[]) => rs.filter((r): r is InvokeRecord => r.type === "invoke");
const completes = (rs: HistoryRecord[]) => rs.filter((r): r is CompleteRecord => r.type === "complete");
const applies = (rs: HistoryRecord[]) => rs.filter((r): r is ApplyRecord => r.type === "apply");

t.test("clocks kept as Lamport's rules say pass, every event judged", async (t) => {
  const r = checkHistory(clean());
  const l = lamportOf(r);
  t.equal(l.mode, "always");
  t.equal(l.judged, "all");
  // 4 sends, 4 receipts of requests, 3 writes x (2 sends + 2 receipts).
  t.equal(l.checked, 4 + 4 + 3 * 4);
  t.equal(l.violations, 0);
  t.ok(r.ok);
  t.match(formatReport(r), /\nlamport\s+always\s+20\s+0\s+0\s+0\n/);
});

t.test("a branch that receives a request at a clock not above its send is caught", async (t) => {
  const rs = copy(clean());
  const c = completes(rs)[1]!;
  c.branchClock = invokes(rs)[1]!.clock!;
  const r = checkHistory(rs);
  t.notOk(r.ok);
  t.match(messages(r), [/^branch 1 received op #2 of session c1 at clock 2, not above its send at 2; a receipt must be later than its send$/]);
});

t.test("a replica that does not take the sender's clock (receipt below the send) is caught", async (t) => {
  const rs = copy(clean());
  // Branch 3's receipt of 1.1: branch 1 sent it to 3 second, at its first send + 1.
  const entry = applies(rs).find((a) => a.branch === 3)!.writes.find((w) => w.id === "1.1")!;
  const sent = applies(rs).find((a) => a.branch === 1)!.writes.find((w) => w.id === "1.1")!.clock! + 1;
  entry.clock = sent;
  const r = checkHistory(rs);
  t.match(messages(r), [new RegExp(`^branch 3 received write 1\\.1 at clock ${sent}, not above branch 1's send of it to branch 3 at ${sent}`)]);
  t.equal(lamportOf(r).violations, 1);
});

t.test("a session whose clock does not increase is caught", async (t) => {
  const rs = copy(clean());
  const [first, second] = invokes(rs).filter((i) => i.session === "c1");
  second!.clock = first!.clock!;
  // Keep its receipt above it, so that only the session's own order is wrong.
  const r = checkHistory(rs);
  t.match(messages(r), [/^session c1: send of op #2 has clock 1, not above its earlier send \(op #1\) at 1; a process's clock must strictly increase$/]);
});

t.test("a branch that stamps a propagation before the receipt of its request is caught", async (t) => {
  const rs = copy(clean());
  const own = applies(rs).find((a) => a.branch === 2 && a.writes.some((w) => w.id === "2.1"))!.writes.find((w) => w.id === "2.1")!;
  const receipt = completes(rs).find((c) => c.writeId === "2.1")!.branchClock!;
  own.clock = receipt;
  const r = checkHistory(rs);
  t.ok(messages(r).some((m) => m === `branch 2 sent write 2.1 at clock ${receipt}, not above its receipt of the request that made it (op #3) at ${receipt}; a request's receipt comes before its propagations`));
  t.ok(messages(r).includes(`branch 2: its receipt of op #3 has clock ${receipt}, as an earlier event of the branch had; every event of a process has a clock of its own`), "and the two events share a clock");
});

t.test("receipts of peers' writes must increase in the order the branch applied them", async (t) => {
  const rs = copy(clean());
  const at3 = applies(rs).filter((a) => a.branch === 3).flatMap((a) => a.writes);
  const [a, b] = at3;
  [a!.clock, b!.clock] = [b!.clock!, a!.clock!];
  const r = checkHistory(rs);
  t.ok(messages(r).some((m) => /^branch 3: its receipt of write 1\.2 at clock \d+ came after its receipt of write 1\.1 at \d+; a process's clock must strictly increase$/.test(m)));
});

t.test("a restarted branch's clock is judged apart before and after the restart, and said to be", async (t) => {
  const rs = copy(clean());
  const i = rs.findIndex((r) => r.type === "apply" && r.branch === 3);
  rs.splice(i + 1, 0, { type: "apply", branch: 3, writes: [], restart: true, wallMs: 0, monoMs: 0 });
  const l = lamportOf(checkHistory(rs));
  t.equal(l.judged, "partly");
  t.match(l.note, /^branch 3 restarted and resumed its clock from its log/);
  t.equal(l.violations, 0);
});

t.test("a history without clocks (from before bank-sim kept them) is skipped, not failed", async (t) => {
  const rs = copy(clean()).map((r) => {
    const o = r as unknown as Record<string, unknown>;
    delete o["clock"];
    delete o["branchClock"];
    if (r.type === "apply") for (const w of r.writes) delete w.clock;
    return r;
  });
  const r = checkHistory(rs);
  t.equal(lamportOf(r).judged, "skipped");
  t.ok(r.ok);
});

t.test("on a real cluster's history, one receipt's clock lowered to its send's is caught", async (t) => {
  const report = await runFile(t, join(COURSE, "p2_codlocker_input.json"));
  t.ok(report.ok);
  const rs = await readHistory(report.outDir);
  t.equal(lamportOf(checkHistory(rs)).violations, 0, "as recorded, the clocks keep the rules");
  const own = applies(rs).find((a) => a.branch === 1 && a.writes.some((w) => w.id === "1.1"))!.writes.find((w) => w.id === "1.1")!;
  const at2 = applies(rs).filter((a) => a.branch === 2).flatMap((a) => a.writes).find((w) => w.id === "1.1")!;
  at2.clock = own.clock!; // branch 2 is branch 1's first destination: its send carried exactly this clock
  const r = checkHistory(rs);
  t.notOk(r.ok);
  t.ok(messages(r).some((m) => m.startsWith(`branch 2 received write 1.1 at clock ${own.clock}, not above branch 1's send of it to branch 2 at ${own.clock}`)));
  t.ok(JSON.stringify(readFileSync(join(report.outDir, "history.jsonl"), "utf8")).includes('\\"clock\\"'), "the file itself carries the clocks");
});
