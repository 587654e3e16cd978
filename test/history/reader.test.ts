// Reading history.jsonl: every record is validated against
// schemas/history-record.schema.json as it is read, and a bad one is named by
// file, line and field, with what was expected and what was found. The file
// is streamed: lines may span read chunks, and a file with no line ends
// (/dev/zero) is refused after a bounded read instead of filling memory.

import t from "tap";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_LINE_CHARS, parseHistory, readHistory, readHistoryRecords } from "../../lib/history/reader.js";
import type { HistoryRecord } from "../../lib/history/types.js";
import { HistoryBuilder } from "../helpers/history-builder.js";

/** A small valid history: meta, an invoked and completed deposit, its applies, a query, finals. */
function valid(): HistoryRecord[] {
  const h = new HistoryBuilder({ branches: [1, 2], initial: 40000, guarantees: ["ryw"] });
  h.deposit("c1", 1, 10000);
  h.sync();
  h.query("c1", 2);
  return h.records();
}

const lineOf = (records: HistoryRecord[], type: string, nth = 0) =>
  records.map((r, i) => [r, i + 1] as const).filter(([r]) => r.type === type)[nth]?.[1] ?? 0;

/** The history as text with one record changed by `mutate` (which may return any JSON value). */
function mutated(type: string, mutate: (r: Record<string, unknown>) => unknown, nth = 0): { text: string; line: number } {
  const records = valid();
  const line = lineOf(records, type, nth);
  const lines = records.map((r) => JSON.stringify(r));
  lines[line - 1] = JSON.stringify(mutate({ ...(records[line - 1] as unknown as Record<string, unknown>) }));
  return { text: lines.join("\n") + "\n", line };
}

const cases: Array<{ name: string; type: string; nth?: number; mutate: (r: Record<string, unknown>) => unknown; message: string }> = [
  { name: "meta.guarantees a number", type: "meta", mutate: (r) => ({ ...r, guarantees: 3 }), message: "meta.guarantees: expected an array of guarantee names (mw, ryw, mr, wfr), found 3" },
  { name: "a guarantee that does not exist", type: "meta", mutate: (r) => ({ ...r, guarantees: ["ryw", "fast"] }), message: `meta.guarantees[1]: expected one of "mw", "ryw", "mr", "wfr", found "fast"` },
  { name: "meta.branches missing", type: "meta", mutate: ({ branches: _, ...r }) => r, message: "meta.branches: expected an array of branch numbers, found nothing (the field is missing)" },
  { name: "a meta record of another version", type: "meta", mutate: (r) => ({ ...r, version: 2 }), message: "meta.version: expected 1, found 2" },
  { name: "an op number given as a string", type: "invoke", mutate: (r) => ({ ...r, op: "1" }), message: `invoke.op: expected an operation number (a whole number ≥ 1), found "1"` },
  { name: "an op number that is not whole", type: "complete", mutate: (r) => ({ ...r, op: 1.5 }), message: "complete.op: expected an operation number (a whole number ≥ 1), found 1.5" },
  { name: "an unknown kind", type: "invoke", mutate: (r) => ({ ...r, kind: "transfer" }), message: `invoke.kind: expected one of "deposit", "withdraw", "query", found "transfer"` },
  { name: "a negative amount", type: "invoke", mutate: (r) => ({ ...r, amountCents: -5 }), message: "invoke.amountCents: expected an amount in cents (a whole number ≥ 0), found -5" },
  { name: "a witness that is null", type: "complete", mutate: (r) => ({ ...r, witness: null }), message: `complete.witness: expected a version vector such as {"2": 5} (the writes 2.1 ... 2.5), found null` },
  { name: "a witness with a key that is no branch", type: "complete", mutate: (r) => ({ ...r, witness: { x: 1 } }), message: `complete.witness: expected a branch number as a key, such as "2", found the key "x"` },
  { name: "a witness count that is a string", type: "complete", mutate: (r) => ({ ...r, witness: { "1": "1" } }), message: `complete.witness.1: expected a write count (a whole number ≥ 0), found "1"` },
  { name: "an unknown status", type: "complete", mutate: (r) => ({ ...r, status: "done" }), message: `complete.status: expected one of "ok", "fail", "info", found "done"` },
  { name: "a malformed write id", type: "complete", mutate: (r) => ({ ...r, writeId: "1-1" }), message: `complete.writeId: expected a write id <origin>.<seq>, such as "2.5", found "1-1"` },
  { name: "an applied write without an amount", type: "apply", mutate: (r) => ({ ...r, writes: [{ id: "1.1", kind: "deposit" }] }), message: "apply.writes[0].amountCents: expected an amount in cents (a whole number ≥ 0), found nothing (the field is missing)" },
  { name: "an applied query", type: "apply", mutate: (r) => ({ ...r, writes: [{ id: "1.1", kind: "query", amountCents: 0 }] }), message: `apply.writes[0].kind: expected one of "deposit", "withdraw", found "query"` },
  { name: "apply.writes not an array", type: "apply", mutate: (r) => ({ ...r, writes: { id: "1.1" } }), message: `apply.writes: expected an array of writes {id, kind, amountCents}, found {"id":"1.1"}` },
  { name: "a final balance as a string", type: "final", mutate: (r) => ({ ...r, balanceCents: "500" }), message: `final.balanceCents: expected an amount in cents (a whole number), found "500"` },
  { name: "a branch number 0", type: "final", mutate: (r) => ({ ...r, branch: 0 }), message: "final.branch: expected a branch number (a whole number ≥ 1), found 0" },
  { name: "a record of unknown type", type: "final", mutate: (r) => ({ ...r, type: "finale" }), message: `type: expected one of "meta", "invoke", "complete", "apply", "apply-group", "buffer", "final", found "finale"` },
  { name: "a line that is an array", type: "final", mutate: () => [1, 2], message: `record: expected a JSON object with "type" one of "meta", "invoke", "complete", "apply", "apply-group", "buffer", "final", found [1,2]` },
];

t.test("a record with a wrong field is refused with file:line: field: expected ..., found ...", async (t) => {
  for (const c of cases) {
    const { text, line } = mutated(c.type, c.mutate, c.nth);
    t.throws(() => parseHistory(text, "h.jsonl"), { name: "HistoryFileError", message: `h.jsonl:${line}: ${c.message}` }, c.name);
  }
});

t.test("every record the history builder and the real writer's shapes make is valid", async (t) => {
  const records = valid();
  t.same(parseHistory(records.map((r) => JSON.stringify(r)).join("\n")), records);
});

/** Three co-hosted branches applied 1.1 then 1.2; branch b's clock at 1.j is 10·b + j. */
const GROUP = {
  type: "apply-group", branches: [2, 3, 4], wallMs: 5, monoMs: 6,
  writes: [{ id: "1.1", kind: "deposit", amountCents: 100 }, { id: "1.2", kind: "withdraw", amountCents: 40 }],
  clocks: [[21, 22], [31, 32], [41, 42]],
};

t.test("an apply-group line is read as one apply record per branch, each with its own clocks, at the group's line", async (t) => {
  const file = join(t.testdir({}), "history.jsonl");
  writeFileSync(file, [JSON.stringify(valid()[0]), JSON.stringify(GROUP)].join("\n") + "\n");
  const read: Array<[number, HistoryRecord]> = [];
  for await (const { record, line } of readHistoryRecords(file)) read.push([line, record]);
  t.same(read.slice(1), [2, 3, 4].map((b) => [2, {
    type: "apply", branch: b, wallMs: 5, monoMs: 6,
    writes: [{ id: "1.1", kind: "deposit", amountCents: 100, clock: 10 * b + 1 }, { id: "1.2", kind: "withdraw", amountCents: 40, clock: 10 * b + 2 }],
  }]));
  t.same(parseHistory(JSON.stringify(GROUP)), read.slice(1).map(([, r]) => r), "the in-memory parser reads it alike");
});

t.test("an apply-group whose parts do not fit together is refused, naming the part", async (t) => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ["a clock list missing", { clocks: [[21, 22], [31, 32]] }, "apply-group.clocks: expected one array of clocks per branch (3), found 2"],
    ["a clock missing", { clocks: [[21, 22], [31], [41, 42]] }, "apply-group.clocks[1]: expected one clock per write (2), found 1"],
    ["a branch twice", { branches: [2, 3, 2] }, "apply-group.branches: expected a non-empty array of distinct branch numbers without repeats, found [2,3,2]"],
    ["no branches", { branches: [], clocks: [] }, "apply-group.branches: expected a non-empty array of distinct branch numbers, found []"],
    ["a clock of 0", { clocks: [[21, 22], [31, 0], [41, 42]] }, "apply-group.clocks[1][1]: expected a Lamport clock (a whole number ≥ 1), found 0"],
    ["a restart mark", { restart: true }, "apply-group.restart: expected nothing (a restart mark is an apply record of its own), found true"],
  ];
  for (const [name, change, message] of bad) {
    t.throws(() => parseHistory(JSON.stringify({ ...GROUP, ...change }), "h.jsonl"), { name: "HistoryFileError", message: `h.jsonl:1: ${message}` }, name);
  }
});

t.test("a streamed file names the same line and field as the in-memory parser", async (t) => {
  const { text, line } = mutated("complete", (r) => ({ ...r, witness: null }));
  const file = join(t.testdir({}), "history.jsonl");
  writeFileSync(file, text);
  await t.rejects(readHistory(file), { message: `${file}:${line}: complete.witness: expected a version vector such as {"2": 5} (the writes 2.1 ... 2.5), found null` });
});

t.test("lines longer than a read chunk are split correctly and keep their line numbers", async (t) => {
  const records = valid();
  // An apply record of 60,000 writes: a line of about 3 MB, three read chunks.
  const big: HistoryRecord = {
    type: "apply", branch: 2, wallMs: 0, monoMs: 99,
    writes: Array.from({ length: 60_000 }, (_, i) => ({ id: `9.${i + 1}`, kind: "deposit" as const, amountCents: 1 })),
  };
  const lines = [...records.map((r) => JSON.stringify(r)), JSON.stringify(big), "", `{"type":"final","branch":"x","balanceCents":0,"applied":{}}`];
  const file = join(t.testdir({}), "history.jsonl");
  writeFileSync(file, lines.join("\r\n") + "\r\n");
  const seen: number[] = [];
  await t.rejects(
    (async () => {
      for await (const { record, line } of readHistoryRecords(file)) {
        seen.push(line);
        if (record.type === "apply" && record.writes.length === 60_000) t.equal(line, records.length + 1, "the long line is where it was written");
      }
    })(),
    { message: `${file}:${records.length + 3}: final.branch: expected a branch number (a whole number ≥ 1), found "x"` },
  );
  t.same(seen, Array.from({ length: records.length + 1 }, (_, i) => i + 1), "every good line, in order, blank lines skipped");
});

t.test("a file with no line ends is refused after a bounded read", { skip: !existsSync("/dev/zero") && "no /dev/zero here" }, async (t) => {
  await t.rejects(readHistory("/dev/zero"), {
    message: `/dev/zero:1: expected one JSON record per line, found a line longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB; is this a history.jsonl?`,
  });
});

t.test("a directory named history.jsonl is refused, as the path or inside an out directory", async (t) => {
  const dir = t.testdir({ "history.jsonl": {}, out: { "history.jsonl": {} } });
  await t.rejects(readHistory(join(dir, "history.jsonl")), { message: `${join(dir, "history.jsonl")}: expected a history file, found a directory` });
  await t.rejects(readHistory(join(dir, "out")), { message: `${join(dir, "out", "history.jsonl")}: expected a history file, found a directory` });
});

t.test("a bad JSON line in the middle is blamed on damage, a bad last line on an interrupted run", async (t) => {
  const lines = valid().map((r) => JSON.stringify(r));
  const dir = t.testdir({
    "middle.jsonl": [lines[0], `{"type":"invoke",`, ...lines.slice(1)].join("\n"),
    "last.jsonl": [...lines, `{"type":"fin`].join("\n") + "\n\n",
  });
  await t.rejects(readHistory(join(dir, "middle.jsonl")), { message: new RegExp(`^${join(dir, "middle.jsonl")}:2: not valid JSON: [^(]+$`) });
  await t.rejects(readHistory(join(dir, "last.jsonl")), {
    message: new RegExp(`^${join(dir, "last.jsonl")}:${lines.length + 1}: not valid JSON: .* \\(the last line: was the run cut short while writing it\\?\\)$`),
  });
});
