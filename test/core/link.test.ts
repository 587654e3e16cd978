// The replication link's state machine (lib/core/link.ts), without any
// network: events in, actions out. The same machine runs over gRPC and in the
// simulator, so these are the rules both worlds rely on.

import fc from "fast-check";
import t from "tap";
import type { Write } from "../../lib/core/ledger.js";
import { LinkOverflow, LinkSender, type LinkAction, type LinkConfig } from "../../lib/core/link.js";

const CONFIG: LinkConfig = { batchMax: 2, inFlightMax: 2, backlogMax: 10, resendMsMin: 100, resendMsMax: 400, reconnectMsMin: 10, reconnectMsMax: 40 };

const write = (seq: number): Write => ({ id: { branch: 1, seq }, kind: "deposit", amountCents: seq, deps: new Map(), acceptedAtMs: 0 });
const sends = (actions: readonly LinkAction[]) =>
  actions.flatMap((a) => (a.type === "send" ? [{ seq: a.batchSeq, ids: a.writes.map((w) => w.id.seq), resend: a.resend }] : []));

/** A link with a stream already open. */
function openLink(config: LinkConfig = CONFIG): LinkSender {
  const link = new LinkSender(config);
  link.enqueue(write(1));
  const first = link.pump(0);
  if (first[0]?.type !== "connect") throw new Error("expected the first pump to ask for a stream");
  link.connected(0);
  link.acked(1, 0);
  return link;
}

t.test("the first write asks for a stream, and the stream carries it once open", async (t) => {
  const link = new LinkSender(CONFIG);
  link.enqueue(write(1));
  t.same(link.pump(0), [{ type: "connect" }]);
  t.same(link.pump(1), [], "no second stream while one is opening");
  t.same(sends(link.connected(2)), [{ seq: 1, ids: [1], resend: false }]);
  t.equal(link.backlog, 1, "unacknowledged writes count in the backlog");
  t.same(link.acked(1, 3), []);
  t.equal(link.backlog, 0);
});

t.test("writes leave in order, at most batchMax a batch and inFlightMax batches unacknowledged", async (t) => {
  const link = openLink();
  for (let s = 2; s <= 7; s++) link.enqueue(write(s));
  t.same(sends(link.pump(0)), [{ seq: 2, ids: [2, 3], resend: false }, { seq: 3, ids: [4, 5], resend: false }]);
  t.same(sends(link.pump(0)), [], "the window is full");
  t.same(sends(link.acked(2, 1)), [{ seq: 4, ids: [6, 7], resend: false }], "an ack opens the window");
});

t.test("a batch without an ack is resent after its interval, which doubles up to the cap", async (t) => {
  const link = openLink();
  link.enqueue(write(2));
  link.pump(1000);
  t.equal(link.nextDeadline(), 1100);
  t.same(sends(link.tick(1099)), [], "not before its time");
  t.same(sends(link.tick(1100)), [{ seq: 2, ids: [2], resend: true }]);
  t.equal(link.nextDeadline(), 1300, "200 ms after the first resend");
  link.tick(1300);
  t.equal(link.nextDeadline(), 1700, "then 400");
  link.tick(1700);
  t.equal(link.nextDeadline(), 2100, "and never more than resendMsMax");
  t.equal(link.stats.resent, 3);
  t.same(link.acked(2, 1701), []);
  t.equal(link.nextDeadline(), undefined, "nothing left to wait for");
});

t.test("a broken stream keeps every unacknowledged batch and sends them again first, in order, on the next stream", async (t) => {
  const link = openLink();
  for (let s = 2; s <= 6; s++) link.enqueue(write(s));
  link.pump(0); // batches 2 [2,3] and 3 [4,5] in flight, 6 queued
  link.broken(5);
  t.equal(link.stats.reconnects, 1);
  t.equal(link.backlog, 5, "nothing is dropped");
  t.same(link.pump(6), [], "no reconnect before the backoff");
  t.equal(link.nextDeadline(), 15, "reconnect after reconnectMsMin");
  t.same(link.tick(15), [{ type: "connect" }]);
  t.same(sends(link.connected(16)), [{ seq: 2, ids: [2, 3], resend: true }, { seq: 3, ids: [4, 5], resend: true }]);
  t.same(sends(link.acked(2, 17)), [{ seq: 4, ids: [6], resend: false }], "newer writes follow");
});

t.test("reconnect backoff doubles per failure up to its cap and resets when an ack arrives", async (t) => {
  const link = openLink();
  link.enqueue(write(2));
  link.pump(0);
  const gaps: number[] = [];
  let now = 0;
  for (let i = 0; i < 4; i++) {
    link.broken(now);
    const at = link.nextDeadline()!;
    gaps.push(at - now);
    now = at;
    t.same(link.tick(now), [{ type: "connect" }]);
  }
  t.same(gaps, [10, 20, 40, 40]);
  link.connected(now);
  link.acked(2, now);
  link.enqueue(write(3));
  link.pump(now);
  link.broken(now);
  t.equal(link.nextDeadline()! - now, 10, "back to reconnectMsMin after an ack");
});

t.test("a duplicate or unknown ack changes nothing", async (t) => {
  const link = openLink();
  link.enqueue(write(2));
  link.pump(0);
  t.same(link.acked(1, 0), [], "batch 1 was acknowledged already");
  t.same(link.acked(99, 0), []);
  t.equal(link.backlog, 1);
});

t.test("a link that holds backlogMax writes refuses more with a clear LinkOverflow", async (t) => {
  const link = openLink({ ...CONFIG, backlogMax: 3 });
  for (let s = 2; s <= 4; s++) link.enqueue(write(s));
  t.throws(() => link.enqueue(write(5)), new LinkOverflow("replication link holds 3 writes unacknowledged (at most 3); the peer is not keeping up or not answering"));
  t.throws(() => new LinkSender({ ...CONFIG, batchMax: 0 }), RangeError);
});

t.test("whatever the interleaving of acks, breaks and timeouts, every write reaches the peer in order", async (t) => {
  const event = fc.oneof(
    fc.record({ type: fc.constant("write" as const) }),
    fc.record({ type: fc.constant("ack" as const), pick: fc.nat() }),
    fc.record({ type: fc.constant("break" as const) }),
    fc.record({ type: fc.constant("time" as const), ms: fc.integer({ min: 1, max: 500 }) }),
  );
  fc.assert(fc.property(fc.array(event, { maxLength: 200 }), (events) => {
    const link = new LinkSender({ ...CONFIG, backlogMax: 1_000 });
    let now = 0;
    let nextWrite = 1;
    let opening = false;
    const inFlight = new Set<number>();
    const received = new Set<number>();
    let lastFirstSend = 0;
    const handle = (actions: readonly LinkAction[]) => {
      for (const a of actions) {
        if (a.type === "connect") opening = true;
        else {
          if (a.writes.length > CONFIG.batchMax) throw new Error(`batch of ${a.writes.length}`);
          inFlight.add(a.batchSeq);
          for (const w of a.writes) {
            // A first send continues the order exactly; a resend repeats what was sent.
            if (!a.resend && w.id.seq !== ++lastFirstSend) throw new Error(`write ${w.id.seq} sent out of order`);
            received.add(w.id.seq);
          }
        }
      }
      if (inFlight.size > CONFIG.inFlightMax) throw new Error(`${inFlight.size} batches in flight`);
    };
    for (const e of events) {
      if (opening) (opening = false, handle(link.connected(now)));
      if (e.type === "write") (link.enqueue(write(nextWrite++)), handle(link.pump(now)));
      else if (e.type === "ack" && inFlight.size > 0) {
        const seq = [...inFlight][e.pick % inFlight.size]!;
        inFlight.delete(seq);
        handle(link.acked(seq, now));
      } else if (e.type === "break") (link.broken(now), inFlight.clear(), (opening = false));
      else if (e.type === "time") (now += e.ms, handle(link.tick(now)));
    }
    // Heal: keep connecting, acking and ticking until the link is empty.
    for (let round = 0; round < 10_000 && link.backlog > 0; round++) {
      if (opening) (opening = false, handle(link.connected(now)));
      for (const seq of [...inFlight]) (inFlight.delete(seq), handle(link.acked(seq, now)));
      now += 50;
      handle(link.tick(now));
    }
    return link.backlog === 0 && received.size === nextWrite - 1;
  }), { seed: 42 });
  t.pass("checked 100 random interleavings (fast-check seed 42)");
});
