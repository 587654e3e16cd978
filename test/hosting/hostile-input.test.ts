// Hostile input on the real servers: bad customer requests, oversized
// messages, random bytes on the branch and replication ports, and malformed
// writes on a Replication stream. Each must be refused (INVALID_ARGUMENT with
// a clear message, RESOURCE_EXHAUSTED past the size limit, or dropped and
// logged), change no branch's state, and leave every branch serving.

import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { EventEmitter } from "node:events";
import { connect } from "node:net";
import t, { type Test } from "tap";
import { Cluster } from "../../lib/cluster/cluster.js";
import { BranchClients } from "../../lib/driver/branch-clients.js";
import { logEntries } from "../../lib/hosting/applied-groups.js";
import { parseDelaySpec } from "../../lib/core/delay.js";
import { MAX_AMOUNT_CENTS, MAX_BRANCHES, MAX_DELAY_MS, MAX_EVENTS, MAX_REPLICATION_MESSAGE_BYTES, MAX_REQUEST_BYTES, MAX_SCENARIO_BYTES, MAX_VECTOR_ENTRIES } from "../../lib/core/limits.js";
import { seededRandom } from "../../lib/core/random.js";
import { parseScenario } from "../../lib/scenario/fixture.js";
import * as limits from "../../lib/core/limits.js";
import { resolveRunConfig } from "../../lib/run/run-config.js";
import { AWAIT_REQUEST, CUSTOMER_REQUEST, type MessageSchema, WRITE_BATCH, wireProblem } from "../../lib/wire/wire-guard.js";
import { banksim } from "../../generated/bank.js";
import { sendSecret } from "../../lib/wire/auth.js";
import { branchState } from "../helpers/admin-rpc.js";
import { varint } from "../helpers/wire-soup.js";

const pb = banksim.v1;
type Req = banksim.v1.CustomerRequest;
type Reply = banksim.v1.CustomerReply;

const BRANCHES = [1, 2, 3];
/** The cluster's secret: these tests attack as an insider, who holds it (test/hosting/auth.test.ts attacks without). */
const SECRET = "hostile-input-test-secret";
const authorized = () => {
  const m = new grpc.Metadata();
  m.set("authorization", `Bearer ${SECRET}`);
  return m;
};
const INITIAL_CENTS = 100_000;
// Bounds on starting the cluster and on each call and wait: generous, for a
// loaded machine. They catch a hang; none of them is what a test asserts.
const START_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 30_000;
// Fixed seeds keep CI repeatable; BANK_SIM_TEST_SEED=<n> explores (or replays) others.
const SEED = Number(process.env["BANK_SIM_TEST_SEED"] ?? 5001);

interface Harness {
  cluster: Cluster;
  clients: BranchClients;
  logs: string[];
  /** Emits "log" for each line the branches log. */
  logEvents: EventEmitter;
}

/** Three branches, one per worker thread, so there are three hosts and real replication links between them. */
async function startCluster(t: Test): Promise<Harness> {
  const logs: string[] = [];
  const logEvents = new EventEmitter();
  const cluster = await Cluster.start({
    branchIds: BRANCHES, initialBalanceCents: INITIAL_CENTS, workers: BRANCHES.length, bindHost: "127.0.0.1", basePort: 0,
    gateTimeoutMs: 1_000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: SECRET,
    onMessage: (m) => {
      if (m.type !== "reports") return;
      for (const [, , line] of logEntries(m)) logs.push(line);
      if (m.logs.lines.length > 0) logEvents.emit("log");
    },
  });
  t.teardown(() => cluster.stop());
  const clients = new BranchClients(cluster.addresses, SECRET);
  t.teardown(() => clients.close());
  return { cluster, clients, logs, logEvents };
}

interface Outcome {
  code: grpc.status;
  details: string;
  reply?: Reply;
}

function outcome(err: grpc.ServiceError | null, reply: Reply | undefined): Outcome {
  if (err) return { code: err.code, details: err.details };
  return reply ? { code: grpc.status.OK, details: "", reply } : { code: grpc.status.OK, details: "" };
}

function deliver(h: Harness, branch: number, req: Req): Promise<Outcome> {
  return new Promise((resolve) => {
    h.clients.get(branch).MsgDelivery(req, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, reply) => resolve(outcome(err, reply)));
  });
}

/** A Bank call with the request's bytes as given: for what the generated encoder cannot produce. */
function rawUnary(h: Harness, branch: number, method: "MsgDelivery" | "AwaitApplied" | "State", bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    h.clients.get(branch).makeUnaryRequest(`/banksim.v1.Bank/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, { deadline: Date.now() + CALL_TIMEOUT_MS },
      (err) => resolve(outcome(err, undefined)));
  });
}

/** A request whose amount_cents (field 4, varint) is `amount`, exactly, whatever JavaScript numbers can hold. */
function requestWithAmount(fields: ConstructorParameters<typeof pb.CustomerRequest>[0], amount: bigint): Buffer {
  const head = Buffer.from(new pb.CustomerRequest(fields).serialize());
  return Buffer.concat([head, Buffer.from([(4 << 3) | 0]), Buffer.from(varint(amount))]);
}

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ""), "hex");
}

function seededBytes(seed: number, n: number): Buffer {
  const random = seededRandom(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** Every branch's state over the State RPC, as plain data for t.same. */
async function states(h: Harness): Promise<unknown[]> {
  return Promise.all(BRANCHES.map(async (b) => {
    const s = await branchState(h.clients, b, CALL_TIMEOUT_MS);
    return { ...s, applied: [...s.applied].sort((x, y) => x[0] - y[0]) };
  }));
}

let probes = 0;
/** A fresh session's query: the branch is up and serving. */
async function servesQuery(t: Test, h: Harness, branch: number): Promise<void> {
  const session = `probe-${++probes}`;
  const out = await deliver(h, branch, new pb.CustomerRequest({ requestId: `${session}#1`, session, interface: pb.Interface.QUERY }));
  t.equal(out.code, grpc.status.OK, `branch ${branch} still serves a valid query (${out.details || "ok"})`);
}

/** A deposit at `branch` that every branch then applies: customers and replication links both still work. */
async function depositReplicates(t: Test, h: Harness, branch: number, issuedBefore: number): Promise<void> {
  const session = `probe-${++probes}`;
  const out = await deliver(h, branch, new pb.CustomerRequest({ requestId: `${session}#1`, session, interface: pb.Interface.DEPOSIT, amountCents: 1 }));
  t.equal(out.code, grpc.status.OK, `branch ${branch} accepts a valid deposit (${out.details || "ok"})`);
  t.equal(out.reply?.writeId?.seq, issuedBefore + 1);
  const finals = await h.cluster.awaitApplied(new Map([[branch, issuedBefore + 1]]), CALL_TIMEOUT_MS);
  t.equal(finals.length, BRANCHES.length, `every branch applied ${branch}.${issuedBefore + 1}`);
}

interface BadRequest {
  name: string;
  /** The request, or its raw bytes. */
  req: (session: string) => Req | Buffer;
  code?: grpc.status;
  details: RegExp;
}

const deposit = (session: string, fields: ConstructorParameters<typeof pb.CustomerRequest>[0] = {}) =>
  new pb.CustomerRequest({ requestId: `${session}#1`, session, interface: pb.Interface.DEPOSIT, amountCents: 100, ...fields });
const vector = (branches: number[], seqs: number[]) => new pb.VersionVector({ branches, seqs });
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

const MAX = MAX_AMOUNT_CENTS;
const BAD_REQUESTS: BadRequest[] = [
  { name: "a Lamport clock above 2^52", req: (s) => deposit(s, { clock: 2 ** 52 + 1 }), details: /^clock must be a Lamport clock between 0 and 4503599627370496, found 4503599627370497$/ },
  { name: "a negative amount", req: (s) => deposit(s, { amountCents: -5 }), details: new RegExp(`^deposit amount must be whole cents between 0 and ${MAX}, found -5$`) },
  { name: "an amount over the limit", req: (s) => deposit(s, { interface: pb.Interface.WITHDRAW, amountCents: MAX + 1 }), details: new RegExp(`^withdraw amount must be whole cents between 0 and ${MAX}, found ${MAX + 1}$`) },
  { name: "an amount of 2^53 + 1, which a double cannot hold", req: (s) => requestWithAmount({ requestId: `${s}#1`, session: s, interface: pb.Interface.DEPOSIT }, 2n ** 53n + 1n), details: /^amount_cents must be whole cents between 0 and 10000000000000, found a number beyond ±2\^53 \(about 9007199254740992\)$/ },
  { name: "the largest int64 amount", req: (s) => requestWithAmount({ requestId: `${s}#1`, session: s, interface: pb.Interface.WITHDRAW }, 2n ** 63n - 1n), details: /found a number beyond ±2\^53/ },
  { name: "the smallest int64 amount", req: (s) => requestWithAmount({ requestId: `${s}#1`, session: s, interface: pb.Interface.DEPOSIT }, -(2n ** 63n)), details: /found a number beyond ±2\^53/ },
  { name: "interface 0 (unspecified)", req: (s) => deposit(s, { interface: 0 }), details: /^interface must be DEPOSIT, WITHDRAW or QUERY, found 0$/ },
  { name: "interface 99", req: (s) => deposit(s, { interface: 99 as banksim.v1.Interface }), details: /^interface must be DEPOSIT, WITHDRAW or QUERY, found 99$/ },
  { name: "an empty request id", req: (s) => deposit(s, { requestId: "" }), details: /^request id must be "<session>#<n>" for session "bad-\d+", found ""$/ },
  { name: "a request id without #<n>", req: (s) => deposit(s, { requestId: `${s}-1` }), details: /^request id must be "<session>#<n>" for session "bad-\d+", found "bad-\d+-1"$/ },
  { name: "a request id numbered 0", req: (s) => deposit(s, { requestId: `${s}#0` }), details: /request id must be "<session>#<n>".*found "bad-\d+#0"$/ },
  { name: "a request id of another session", req: (s) => deposit(s, { requestId: "someone-else#1" }), details: /request id must be "<session>#<n>".*found "someone-else#1"$/ },
  { name: "an empty session", req: () => deposit("", { requestId: "#1" }), details: /^request id must be "<session>#<n>" for session "", found "#1"$/ },
  { name: "unknown guarantee bits", req: (s) => deposit(s, { guarantees: 16 }), details: /^guarantees must be a bit set of MONOTONIC_WRITES \(1\), READ_YOUR_WRITES \(2\), MONOTONIC_READS \(4\) and WRITES_FOLLOW_READS \(8\), found 16$/ },
  { name: "a write set naming an unknown branch", req: (s) => deposit(s, { writeSet: vector([7], [1]), guarantees: 1 }), details: /^write set names write 7\.1 of unknown branch 7$/ },
  { name: "a write set naming branch 0", req: (s) => deposit(s, { writeSet: vector([0], [3]) }), details: /^write set names write 0\.3 of unknown branch 0$/ },
  { name: "a read set naming a write this branch never issued", req: (s) => deposit(s, { interface: pb.Interface.QUERY, readSet: vector([1], [5]) }), details: /^read set names write 1\.5, but branch 1 has issued only 1$/ },
  { name: "a write set of 100,000 entries", req: (s) => deposit(s, { writeSet: vector(range(100_000, (i) => i + 1), range(100_000, () => 1)) }), details: new RegExp(`^write set has 100000 entries; a version vector names each branch at most once, so it has at most ${MAX_VECTOR_ENTRIES} \\(the most branches a cluster can have\\)$`) },
  { name: "a write set one entry over the limit", req: (s) => deposit(s, { writeSet: vector(range(MAX_VECTOR_ENTRIES + 1, (i) => i + 1), range(MAX_VECTOR_ENTRIES + 1, () => 1)) }), details: /^write set has 2001 entries/ },
  { name: "a write set of distinct but unknown branches, within the limit", req: (s) => deposit(s, { writeSet: vector(range(MAX_VECTOR_ENTRIES, (i) => i + 1), range(MAX_VECTOR_ENTRIES, () => 1)) }), details: /^write set names write 4\.1 of unknown branch 4$/ },
  { name: "a write set with more branches than seqs", req: (s) => deposit(s, { writeSet: vector([1, 2], [1]) }), details: /^write set has 2 branches but 1 seqs; the two packed arrays must have the same length$/ },
  { name: "a read set with more seqs than branches", req: (s) => deposit(s, { readSet: vector([1], [1, 9]) }), details: /^read set has 1 branches but 2 seqs; the two packed arrays must have the same length$/ },
  { name: "a write set naming a branch twice", req: (s) => deposit(s, { writeSet: vector([1, 1], [1, 9]) }), details: /^write set names branch 1 more than once$/ },
  { name: "a session name of 201 characters", req: () => deposit("s".repeat(201), { requestId: `${"s".repeat(201)}#1` }), details: /^session must be at most 200 characters, found 201$/ },
  { name: "a request id of 3 MiB (under the size limit)", req: (s) => deposit(s, { requestId: "x".repeat(3 * 1024 * 1024) }), details: /^request id must be "<session>#<n>", at most 217 characters, found 3145728 characters$/ },
  { name: "a request id with 17 digits", req: (s) => deposit(s, { requestId: `${s}#${"9".repeat(17)}` }), details: /^request id must be "<session>#<n>" for session "bad-\d+", found "bad-\d+#9{17}"$/ },
  { name: "a request over the size limit", req: (s) => deposit(s, { session: "x".repeat(MAX_REQUEST_BYTES) }), code: grpc.status.RESOURCE_EXHAUSTED, details: /^Received message larger than max \(\d+ vs 4194304\)$/ },
  { name: "a write set of 1.5 million entries (over the size limit)", req: (s) => deposit(s, { writeSet: vector(range(1_500_000, (i) => i + 1), range(1_500_000, () => 1)) }), code: grpc.status.RESOURCE_EXHAUSTED, details: /^Received message larger than max/ },
  { name: "a request_id whose length prefix claims 4 GiB", req: () => hex("0a ffffffff0f 01"), details: /^request is not a valid banksim\.v1\.CustomerRequest: request_id at byte 0 claims 4294967295 bytes, but only 1 remain$/ },
  { name: "a request_id sent as a varint", req: () => hex("08 05"), details: /^request is not a valid banksim\.v1\.CustomerRequest: request_id at byte 0: expected wire type length-delimited, found varint$/ },
  { name: "a request_id that is not UTF-8", req: () => hex("0a 02 c328"), details: /^request is not a valid banksim\.v1\.CustomerRequest: request_id at byte 0 is not valid UTF-8$/ },
  { name: "a varint of 11 bytes", req: () => hex("18 ffffffffffffffffffff01"), details: /^request is not a valid banksim\.v1\.CustomerRequest: interface: a varint at byte 1 is longer than 10 bytes$/ },
  { name: "a truncated varint", req: () => hex("18 ff"), details: /^request is not a valid banksim\.v1\.CustomerRequest: interface: a varint at byte 1 runs past the end of its message$/ },
  { name: "packed branches that claim more bytes than their write set holds", req: () => hex("2a 03 0a7f01"), details: /^request is not a valid banksim\.v1\.CustomerRequest: write_set\.branches at byte 2 claims 127 bytes, but only 1 remain$/ },
  { name: "an unknown field as a group", req: () => hex("4b 4c"), details: /^request is not a valid banksim\.v1\.CustomerRequest: field 9 at byte 0: wire type start-group is not accepted$/ },
  { name: "field number 0", req: () => hex("00 00"), details: /^request is not a valid banksim\.v1\.CustomerRequest: field number 0 at byte 0 is out of range$/ },
];

t.test("bad customer requests are refused with a clear status, change no state, and the branch serves on", async (t) => {
  const h = await startCluster(t);
  // One write at branch 1, so that its "issued" count is 1 and the read-set case has something to exceed.
  const setup = await deliver(h, 1, deposit("setup", { amountCents: 500 }));
  t.equal(setup.code, grpc.status.OK, setup.details);
  await h.cluster.awaitApplied(new Map([[1, 1]]), CALL_TIMEOUT_MS);

  let n = 0;
  for (const c of BAD_REQUESTS) {
    const before = await states(h);
    const req = c.req(`bad-${++n}`);
    const out = Buffer.isBuffer(req) ? await rawUnary(h, 1, "MsgDelivery", req) : await deliver(h, 1, req);
    const want = c.code ?? grpc.status.INVALID_ARGUMENT;
    t.equal(grpc.status[out.code], grpc.status[want], `${c.name}: ${grpc.status[want]}`);
    t.match(out.details, c.details, `${c.name}: the message says what was wrong`);
    t.ok(out.details.length < 1_000, `${c.name}: the message is short (${out.details.length} characters)`);
    t.same(await states(h), before, `${c.name}: no branch's state changed`);
    await servesQuery(t, h, 1);
  }
  t.equal((await states(h) as Array<{ balanceCents: number }>)[0]!.balanceCents, INITIAL_CENTS + 500, "only the setup deposit ever applied");
});

t.test("a refused request leaves its id unused: the same id, corrected, then runs", async (t) => {
  const h = await startCluster(t);
  const refused = await deliver(h, 2, deposit("c9", { amountCents: -1 }));
  t.equal(refused.code, grpc.status.INVALID_ARGUMENT);
  const ok = await deliver(h, 2, deposit("c9", { amountCents: 250 }));
  t.equal(ok.code, grpc.status.OK, ok.details);
  t.equal(ok.reply?.replayed, false, "not a replay of the refusal");
  t.equal(ok.reply?.balanceCents, INITIAL_CENTS + 250);
});

t.test("seeded random bytes as customer requests are all refused with INVALID_ARGUMENT and change nothing", async (t) => {
  const h = await startCluster(t);
  t.comment(`seed ${SEED + 200} (BANK_SIM_TEST_SEED + 200)`);
  const before = await states(h);
  const random = seededRandom(SEED + 200);
  const codes = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(range(1 + Math.floor(random() * 64), () => Math.floor(random() * 256)));
    const out = await rawUnary(h, BRANCHES[i % BRANCHES.length]!, "MsgDelivery", bytes);
    const code = grpc.status[out.code]!;
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (out.code !== grpc.status.INVALID_ARGUMENT) t.fail(`message ${i} (${bytes.toString("hex")}): ${code}: ${out.details}`);
  }
  t.same(Object.fromEntries(codes), { INVALID_ARGUMENT: 300 }, "300 random messages, 300 refusals");
  t.same(await states(h), before, "no branch's state changed");
  for (const b of BRANCHES) await servesQuery(t, h, b);
});

t.test("a session name of 200 characters, the most allowed, is served", async (t) => {
  const h = await startCluster(t);
  const session = "s".repeat(200);
  const out = await deliver(h, 1, new pb.CustomerRequest({ requestId: `${session}#${"9".repeat(16)}`, session, interface: pb.Interface.QUERY }));
  t.equal(out.code, grpc.status.OK, out.details || "ok");
});

t.test("the admin RPCs refuse malformed requests with INVALID_ARGUMENT", async (t) => {
  const h = await startCluster(t);
  const state = await rawUnary(h, 1, "State", hex("0a ffffffff0f"));
  t.equal(grpc.status[state.code], "INVALID_ARGUMENT");
  t.equal(state.details, "request is not a valid banksim.v1.StateRequest: field 1 at byte 0 claims 4294967295 bytes, but only 0 remain");
  const undecodable = await rawUnary(h, 1, "AwaitApplied", hex("0a 02 0a05"));
  t.equal(grpc.status[undecodable.code], "INVALID_ARGUMENT");
  t.equal(undecodable.details, "request is not a valid banksim.v1.AwaitRequest: applied.branches at byte 2 claims 5 bytes, but only 0 remain");
  const call = (applied: banksim.v1.VersionVector) => new Promise<Outcome>((resolve) => {
    h.clients.get(1).AwaitApplied(new pb.AwaitRequest({ applied, timeoutMs: 100 }), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err) => resolve(outcome(err, undefined)));
  });
  const mismatched = await call(vector([1, 2], [1]));
  t.equal(mismatched.code, grpc.status.INVALID_ARGUMENT);
  t.equal(mismatched.details, "applied has 2 branches but 1 seqs; the two packed arrays must have the same length");
  const huge = await call(vector(range(50_000, (i) => i + 1), range(50_000, () => 1)));
  t.equal(huge.code, grpc.status.INVALID_ARGUMENT);
  t.match(huge.details, /^applied has 50000 entries/);
  await servesQuery(t, h, 1);
});

/** True once `data` holds a whole HTTP/2 GOAWAY frame (type 7) after the server's connection preface. */
function hasGoaway(data: Buffer): boolean {
  for (let at = 0; at + 9 <= data.length; at += 9 + data.readUIntBE(at, 3)) {
    if (data[at + 3] === 7) return true;
  }
  return false;
}

/**
 * Writes `bytes` on a fresh TCP connection and half-closes it; resolves with
 * how the server ended it: it closed the connection, or it sent GOAWAY (Node's
 * HTTP/2 server then leaves the socket to keepalive, see lib/bind.ts, so the
 * test closes it), or neither within 10 s (a bound for a loaded machine: a
 * server answers at once).
 */
function sendRaw(address: string, bytes: Buffer): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const s = connect(Number(port), host);
    let received = Buffer.alloc(0);
    const done = (how: string) => (clearTimeout(bound), s.destroy(), resolve(how));
    const bound = setTimeout(() => done("neither closed nor sent GOAWAY within 10 s"), 10_000);
    s.on("data", (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (hasGoaway(received)) done("GOAWAY");
    });
    s.on("error", () => undefined); // a reset is an acceptable way for the server to end it
    s.once("connect", () => s.end(bytes));
    s.once("close", () => done("closed"));
  });
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

t.test("random bytes, HTTP/1.1 and a garbled HTTP/2 stream on branch and replication ports leave every branch serving", async (t) => {
  const h = await startCluster(t);
  t.equal(h.cluster.hosts.length, 3, "one host per branch");
  t.comment(`seed ${SEED} (BANK_SIM_TEST_SEED)`);
  const payloads: Array<[string, Buffer]> = [];
  for (let i = 0; i < 4; i++) payloads.push([`${2 + 2 * i} KB of random bytes (seed ${SEED + i})`, seededBytes(SEED + i, (2 + 2 * i) * 1024)]);
  payloads.push(["an HTTP/1.1 request", Buffer.from("POST /banksim.v1.Bank/MsgDelivery HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 5\r\n\r\nhello")]);
  payloads.push(["the HTTP/2 preface, then random bytes", Buffer.concat([PREFACE, seededBytes(SEED + 100, 4096)])]);
  // An empty SETTINGS frame, then a DATA frame on a stream never opened.
  payloads.push(["the HTTP/2 preface and SETTINGS, then a stray DATA frame", Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 4, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4])])]);

  const targets: Array<[string, string]> = [
    ...BRANCHES.map((b): [string, string] => [`branch ${b}'s port`, h.cluster.addresses.get(b)!]),
    ...h.cluster.hosts.map((x): [string, string] => [`host ${x.hostId}'s replication port (branches ${x.branchIds.join(",")})`, x.address]),
  ];
  const issued = new Map(BRANCHES.map((b) => [b, 0]));
  for (const [target, address] of targets) {
    for (const [what, bytes] of payloads) {
      const end = await sendRaw(address, bytes);
      t.ok(end === "closed" || end === "GOAWAY", `${what} to ${target}: ${end}`);
    }
    for (const b of BRANCHES) await servesQuery(t, h, b);
    // Replication still flows: a deposit at each branch reaches every other.
    for (const b of BRANCHES) {
      await depositReplicates(t, h, b, issued.get(b)!);
      issued.set(b, issued.get(b)! + 1);
    }
  }
});

function replicationStream(address: string): { send: (batch: banksim.v1.WriteBatch) => Promise<void>; close: () => void } {
  const client = new pb.ReplicationClient(address, grpc.credentials.createInsecure(), sendSecret(SECRET));
  const call = client.Replicate();
  const waiting = new Map<number, () => void>();
  let failed: Error | undefined;
  call.on("data", (ack: banksim.v1.Ack) => {
    waiting.get(ack.batchSeq)?.();
    waiting.delete(ack.batchSeq);
  });
  call.on("error", (err: Error) => {
    failed = err;
    for (const w of waiting.values()) w();
  });
  return {
    send: (batch) => new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      const bound = setTimeout(() => reject(new Error(`no ack for batch ${batch.batchSeq} within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      waiting.set(batch.batchSeq, () => (clearTimeout(bound), failed ? reject(failed) : resolve()));
      call.write(batch);
    }),
    close: () => {
      call.end();
      client.close();
    },
  };
}

/** The first log line matching `re`, as soon as a branch logs it; bounded. */
function logLine(h: Harness, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const line = h.logs.find((l) => re.test(l));
      if (line === undefined) return;
      clearTimeout(bound);
      h.logEvents.off("log", look);
      resolve(line);
    };
    const bound = setTimeout(() => {
      h.logEvents.off("log", look);
      reject(new Error(`no log line matched ${re} within ${CALL_TIMEOUT_MS} ms; last lines: ${h.logs.slice(-5).join(" | ")}`));
    }, CALL_TIMEOUT_MS);
    h.logEvents.on("log", look);
    look();
  });
}

t.test("the Replication stream drops malformed writes, acknowledges the batch, and changes no state", async (t) => {
  const h = await startCluster(t);
  // 1.1, so that a replayed write id has something to collide with.
  t.equal((await deliver(h, 1, deposit("setup", { amountCents: 500 }))).code, grpc.status.OK);
  await h.cluster.awaitApplied(new Map([[1, 1]]), CALL_TIMEOUT_MS);
  const before = await states(h);

  const W = (fields: ConstructorParameters<typeof pb.Write>[0]) => new pb.Write({ interface: pb.Interface.DEPOSIT, amountCents: 100, ...fields });
  const id = (branch: number, seq: number) => new pb.WriteId({ branch, seq });
  const bad: Array<[string, banksim.v1.Write, RegExp]> = [
    ["no id", W({}), /a write without an id/],
    ["origin 0", W({ id: id(0, 1) }), /a write without an id/],
    ["seq 0", W({ id: id(2, 0) }), /a write without an id/],
    ["interface 0", W({ id: id(2, 1), interface: 0 }), /write 2\.1: interface must be DEPOSIT or WITHDRAW, found 0/],
    ["a query", W({ id: id(2, 1), interface: pb.Interface.QUERY }), /interface must be DEPOSIT or WITHDRAW, found 3/],
    ["interface 99", W({ id: id(2, 1), interface: 99 as banksim.v1.Interface }), /interface must be DEPOSIT or WITHDRAW, found 99/],
    ["a negative amount", W({ id: id(2, 1), amountCents: -100 }), /write 2\.1: amount must be whole cents between 0 and 10000000000000, found -100/],
    ["an amount over the limit", W({ id: id(2, 1), amountCents: MAX + 1 }), /found 10000000000001/],
    ["an amount of 2^60", W({ id: id(2, 1), amountCents: 2 ** 60 }), /found a number beyond ±2\^53 \(about 11529215046068\d+\)/],
    ["a Lamport clock above 2^52", W({ id: id(2, 1), clock: 2 ** 52 + 1 }), /write 2\.1: clock must be a Lamport clock between 0 and 4503599627370496, found 4503599627370497/],
    ["an unknown origin", W({ id: id(9, 1) }), /write 9\.1: origin 9 is not a branch of this cluster/],
    ["deps naming an unknown branch", W({ id: id(2, 1), deps: vector([9], [1]) }), /write 2\.1: deps name branch 9, which is not in this cluster/],
    ["deps with mismatched arrays", W({ id: id(2, 1), deps: vector([1, 3], [1]) }), /write 2\.1: deps has 2 branches but 1 seqs/],
    ["deps naming a branch twice", W({ id: id(2, 1), deps: vector([1, 1], [1, 1]) }), /write 2\.1: deps names branch 1 more than once/],
    ["deps of 3,000 entries", W({ id: id(2, 1), deps: vector(range(3_000, (i) => i + 1), range(3_000, () => 1)) }), /write 2\.1: deps has 3000 entries/],
  ];
  let seq = 0;
  for (const host of h.cluster.hosts) {
    const stream = replicationStream(host.address);
    t.teardown(() => stream.close());
    for (const [what, write, logged] of bad) {
      h.logs.length = 0;
      await stream.send(new pb.WriteBatch({ fromHost: host.hostId, batchSeq: ++seq, writes: [write] }));
      t.match(await logLine(h, /dropped 1 of 1 writes/), logged, `host ${host.hostId}: ${what} is dropped, and the log says why`);
    }
    // A batch of 20,000 malformed writes (no id): dropped with one log line, not 20,000.
    h.logs.length = 0;
    await stream.send(new pb.WriteBatch({ fromHost: 77, batchSeq: ++seq, writes: range(20_000, () => W({})) }));
    await logLine(h, /dropped 20000 of 20000 writes from host 77 as malformed \(first: a write without an id/);
    t.equal(h.logs.filter((l) => /dropped/.test(l)).length, 1, `host ${host.hostId}: one log line for the whole batch`);
    // A well-formed replay of 1.1 with another amount: every replica already applied 1.1, so it changes nothing.
    await stream.send(new pb.WriteBatch({ fromHost: host.hostId, batchSeq: ++seq, writes: [W({ id: id(1, 1), amountCents: 999_999 })] }));
    t.same(await states(h), before, `host ${host.hostId}: no branch's state changed`);
  }
  for (const b of BRANCHES) await servesQuery(t, h, b);
  await depositReplicates(t, h, 2, 0);
});

t.test("a Replicate message that is not a WriteBatch ends that stream with INVALID_ARGUMENT, and only that stream", async (t) => {
  const h = await startCluster(t);
  const host = h.cluster.hosts[0]!;
  const client = new grpc.Client(host.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.makeBidiStreamRequest("/banksim.v1.Replication/Replicate", (b: Buffer) => b, (b: Buffer) => b, authorized(), {});
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on("data", () => undefined);
    call.on("error", (err: grpc.ServiceError) => resolve(err));
    call.on("end", () => resolve(undefined));
  });
  call.write(hex("1a ffffffff0f 00"));
  const err = await ended;
  t.equal(err && grpc.status[err.code], "INVALID_ARGUMENT", "the stream ends with INVALID_ARGUMENT");
  t.equal(err?.details, "request is not a valid banksim.v1.WriteBatch: writes at byte 0 claims 4294967295 bytes, but only 1 remain");
  t.match(await logLine(h, /refused a replication stream/), /^host \d+: refused a replication stream: request is not a valid banksim\.v1\.WriteBatch: writes at byte 0 claims/);
  for (const b of BRANCHES) await servesQuery(t, h, b);
  await depositReplicates(t, h, host.branchIds[0]!, 0);
});

t.test("the wire guard passes every message the generated encoder writes, and whatever it passes google-protobuf decodes", async (t) => {
  const u32 = fc.nat({ max: 0xffffffff });
  const vv = fc.record({ branches: fc.array(u32, { maxLength: 8 }), seqs: fc.array(u32, { maxLength: 8 }) }).map((v) => new pb.VersionVector(v));
  const text = fc.string({ unit: "grapheme", maxLength: 20 });
  const int64 = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(-(2 ** 63), 2 ** 63 - 1024));
  const request = fc.record({ requestId: text, session: text, interface: fc.nat(200), amountCents: int64, writeSet: vv, readSet: vv, guarantees: u32 })
    .map((r) => new pb.CustomerRequest(r as ConstructorParameters<typeof pb.CustomerRequest>[0]));
  const write = fc.record({ id: fc.record({ branch: u32, seq: u32 }).map((x) => new pb.WriteId(x)), interface: fc.nat(200), amountCents: int64, deps: vv, acceptedAtMs: fc.double() })
    .map((w) => new pb.Write(w as ConstructorParameters<typeof pb.Write>[0]));
  const batch = fc.record({ fromHost: u32, batchSeq: fc.maxSafeNat(), writes: fc.array(write, { maxLength: 4 }) }).map((b) => new pb.WriteBatch(b));
  const runs = { numRuns: 300, seed: SEED };
  fc.assert(fc.property(request, (r) => wireProblem(r.serialize(), CUSTOMER_REQUEST) === undefined), runs);
  fc.assert(fc.property(batch, (b) => wireProblem(b.serialize(), WRITE_BATCH) === undefined), runs);
  fc.assert(fc.property(vv, u32, (applied, timeoutMs) => wireProblem(new pb.AwaitRequest({ applied, timeoutMs }).serialize(), AWAIT_REQUEST) === undefined), runs);

  // Random bytes, and valid messages with bytes cut out and spliced in: the guard refuses them, or google-protobuf decodes them without an error.
  const mutated = (valid: fc.Arbitrary<Uint8Array>) => fc.tuple(valid, fc.nat(), fc.nat(4), fc.uint8Array({ maxLength: 6 }))
    .map(([bytes, at, cut, insert]) => {
      const b = Array.from(bytes);
      b.splice(at % (b.length + 1), cut, ...insert);
      return new Uint8Array(b);
    });
  const decodes = (schema: MessageSchema, decode: (b: Uint8Array) => unknown) => (bytes: Uint8Array) => {
    if (wireProblem(bytes, schema) !== undefined) return true;
    decode(bytes);
    return true;
  };
  const many = { numRuns: 3_000, seed: SEED };
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated(request.map((r) => r.serialize()))), decodes(CUSTOMER_REQUEST, (b) => pb.CustomerRequest.deserialize(b))), many);
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated(batch.map((r) => r.serialize()))), decodes(WRITE_BATCH, (b) => pb.WriteBatch.deserialize(b))), many);
});

t.test("lib/limits.ts states the limits the code enforces", async (t) => {
  t.equal(limits.MAX_SCENARIO_BYTES, MAX_SCENARIO_BYTES);
  t.equal(limits.MAX_SCENARIO_BYTES, 16 * 1024 * 1024);
  t.equal(limits.MAX_EVENTS, MAX_EVENTS);
  t.equal(limits.MAX_BRANCHES, MAX_BRANCHES);
  t.equal(limits.MAX_REQUEST_BYTES, MAX_REQUEST_BYTES);
  t.equal(limits.MAX_REPLICATION_MESSAGE_BYTES, MAX_REPLICATION_MESSAGE_BYTES);
  t.equal(limits.MAX_VECTOR_ENTRIES, MAX_BRANCHES);
  t.equal(limits.MAX_AMOUNT_CENTS, MAX_AMOUNT_CENTS);
  t.equal(limits.MAX_DELAY_MS, MAX_DELAY_MS);
  t.throws(() => parseScenario("[]", "big.json", { maxBytes: 1 }), { message: /expected a file of at most 1 bytes, found 2 bytes/ });
  t.throws(() => parseDelaySpec(`${MAX_DELAY_MS + 1}ms`), { message: `--delay: "${MAX_DELAY_MS + 1}ms" exceeds the limit of ${MAX_DELAY_MS} ms` });
  t.doesNotThrow(() => parseDelaySpec(`${MAX_DELAY_MS}ms`));
  // run-config.ts enforces the gate timeout bound inline; this ties it to the stated limit.
  t.equal(resolveRunConfig({ gateTimeout: limits.MAX_GATE_TIMEOUT_MS }, [1]).gateTimeoutMs, limits.MAX_GATE_TIMEOUT_MS);
  t.throws(() => resolveRunConfig({ gateTimeout: limits.MAX_GATE_TIMEOUT_MS + 1 }, [1]), { message: `--gate-timeout: expected an integer from 1 to ${limits.MAX_GATE_TIMEOUT_MS}, found ${limits.MAX_GATE_TIMEOUT_MS + 1}` });
  t.equal(resolveRunConfig({ workers: limits.MAX_WORKERS }, [1]).workers, limits.MAX_WORKERS);
  t.throws(() => resolveRunConfig({ workers: limits.MAX_WORKERS + 1 }, [1]), { message: /^--workers: expected an integer from 1 to 64/ });
});
