// The direct codec of the customer call (lib/wire/customer-codec.ts) against
// the generated google-protobuf classes, which stay the wire contract: the same
// bytes out for every message, the same fields back from any bytes, and a
// refusal exactly where the wire guard refuses a request.

import fc from "fast-check";
import t from "tap";
import {
  decodeCustomerReply, decodeCustomerRequest, encodeCustomerReply, encodeCustomerRequest, type WireCustomerReply, type WireCustomerRequest,
} from "../../lib/wire/customer-codec.js";
import { MalformedMessage, type WireVector } from "../../lib/wire/proto-bytes.js";
import { CUSTOMER_REPLY, CUSTOMER_REQUEST, wireProblem } from "../../lib/wire/wire-guard.js";
import { pb } from "../../lib/wire/pb.js";
import { mutated, optional, plainVector, readsLikeTheGeneratedClass, safe, same, SEED, soup, u32, uSafe, vector } from "../helpers/wire-soup.js";

/** Text, and now and then a lone surrogate half (which Node's UTF-8 encoder and google-protobuf's write differently). */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 }) },
);

const request: fc.Arbitrary<WireCustomerRequest> = fc.record({
  requestId: text, session: text, interface: fc.integer({ min: -3, max: 200 }), amountCents: safe,
  writeSet: optional(vector), readSet: optional(vector), guarantees: u32, clock: uSafe,
});
const reply: fc.Arbitrary<WireCustomerReply> = fc.record({
  branch: u32, interface: fc.integer({ min: -3, max: 200 }), result: fc.integer({ min: -3, max: 5 }), balanceCents: safe,
  writeId: optional(fc.record({ branch: u32, seq: u32 })), witness: optional(vector),
  gateWaitMs: fc.oneof(fc.double(), fc.constantFrom(0, -0, 0.25, Number.NaN)), replayed: fc.boolean(), clock: uSafe,
});

const pbVector = (v: WireVector | undefined) => (v ? new pb.VersionVector(v) : undefined);
const generatedRequest = (r: WireCustomerRequest) => new pb.CustomerRequest({ ...r, writeSet: pbVector(r.writeSet), readSet: pbVector(r.readSet) });
const generatedReply = (r: WireCustomerReply) => new pb.CustomerReply({ ...r, writeId: r.writeId && new pb.WriteId(r.writeId), witness: pbVector(r.witness) });

/** The fields a generated class read, as plain values. */
function fieldsOfRequest(m: InstanceType<typeof pb.CustomerRequest>): WireCustomerRequest {
  return {
    requestId: m.requestId, session: m.session, interface: m.interface, amountCents: m.amountCents,
    writeSet: m.hasWriteSet ? plainVector(m.writeSet) : undefined, readSet: m.hasReadSet ? plainVector(m.readSet) : undefined,
    guarantees: m.guarantees, clock: m.clock,
  };
}
function fieldsOfReply(m: InstanceType<typeof pb.CustomerReply>): WireCustomerReply {
  return {
    branch: m.branch, interface: m.interface, result: m.result, balanceCents: m.balanceCents,
    writeId: m.hasWriteId ? { branch: m.writeId.branch, seq: m.writeId.seq } : undefined,
    witness: m.hasWitness ? plainVector(m.witness) : undefined, gateWaitMs: m.gateWaitMs, replayed: m.replayed, clock: m.clock,
  };
}

t.test("a request and a reply encode to the generated classes' bytes, byte for byte", async (t) => {
  fc.assert(fc.property(request, (r) => Buffer.from(generatedRequest(r).serialize()).equals(encodeCustomerRequest(r))), { numRuns: 2_000, seed: SEED });
  fc.assert(fc.property(reply, (r) => Buffer.from(generatedReply(r).serialize()).equals(encodeCustomerReply(r))), { numRuns: 2_000, seed: SEED });
  // A long vector makes its length prefix two bytes, and the encoder moves the body to make room.
  const long = { branches: Array.from({ length: 200 }, (_, i) => i + 1), seqs: Array.from({ length: 200 }, (_, i) => 2 ** 31 + i) };
  const r: WireCustomerRequest = { requestId: "c#1", session: "c", interface: 1, amountCents: 5, writeSet: long, readSet: long, guarantees: 15, clock: 9 };
  t.ok(Buffer.from(generatedRequest(r).serialize()).equals(encodeCustomerRequest(r)), "a 1.3 KB request");
});

t.test("what the generated classes write decodes to the fields they read, or is refused where the guard refuses it", async (t) => {
  // A lone surrogate half is written as bytes that are not UTF-8: those the guard, and so the decoder, refuse.
  const requests = readsLikeTheGeneratedClass(CUSTOMER_REQUEST, decodeCustomerRequest, (b) => fieldsOfRequest(pb.CustomerRequest.deserialize(b)));
  const replies = readsLikeTheGeneratedClass(CUSTOMER_REPLY, decodeCustomerReply, (b) => fieldsOfReply(pb.CustomerReply.deserialize(b)));
  fc.assert(fc.property(request, (r) => requests(generatedRequest(r).serialize())), { numRuns: 2_000, seed: SEED });
  fc.assert(fc.property(reply, (r) => replies(generatedReply(r).serialize())), { numRuns: 2_000, seed: SEED });
  t.same(decodeCustomerRequest(encodeCustomerRequest({ requestId: "c7#3", session: "c7", interface: 2, amountCents: 12_345, writeSet: { branches: [3], seqs: [4] }, readSet: undefined, guarantees: 15, clock: 41 })),
    { requestId: "c7#3", session: "c7", interface: 2, amountCents: 12_345, writeSet: { branches: [3], seqs: [4] }, readSet: undefined, guarantees: 15, clock: 41 });
});

t.test("on any bytes, a request is refused exactly where the wire guard refuses it, and otherwise reads as google-protobuf reads it", async (t) => {
  fc.assert(fc.property(fc.oneof(soup(request.map(encodeCustomerRequest)), mutated(request.map(encodeCustomerRequest)), fc.uint8Array({ maxLength: 60 })),
    readsLikeTheGeneratedClass(CUSTOMER_REQUEST, decodeCustomerRequest, (b) => fieldsOfRequest(pb.CustomerRequest.deserialize(b)))), { numRuns: 5_000, seed: SEED });
  t.pass("checked on random and mutated bytes");
});

t.test("so is a reply, and a malformed one is never read past its end", async (t) => {
  fc.assert(fc.property(fc.oneof(soup(reply.map(encodeCustomerReply)), mutated(reply.map(encodeCustomerReply)), fc.uint8Array({ maxLength: 60 })),
    readsLikeTheGeneratedClass(CUSTOMER_REPLY, decodeCustomerReply, (b) => fieldsOfReply(pb.CustomerReply.deserialize(b)))), { numRuns: 5_000, seed: SEED });
  const refusal = (bytes: number[]) => {
    try {
      decodeCustomerReply(Uint8Array.from(bytes));
      return "read";
    } catch (err) {
      return err instanceof MalformedMessage ? err.message : `threw ${String(err)}`;
    }
  };
  t.equal(refusal([0x32, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]), "a length runs past the end of its message", "a witness claiming 4 GiB");
  t.equal(refusal([0x39, 1, 2]), "a 64-bit field runs past the end of its message", "a gate wait cut short");
  t.equal(refusal([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), "a varint is longer than 10 bytes", "an 11-byte varint");
});

t.test("a varint of 2^64 or more is no tag and no length, as the guard says", async (t) => {
  for (const hex of ["98808080808080808002 01", "0a 80808080808080808002"]) {
    const bytes = Buffer.from(hex.replace(/ /g, ""), "hex");
    t.ok(wireProblem(bytes, CUSTOMER_REQUEST), `the guard refuses ${hex}`);
    t.throws(() => decodeCustomerRequest(bytes), `the decoder refuses ${hex}`);
  }
});

t.test("an encoding that fails leaves nothing behind for the next message", async (t) => {
  const broken = { branch: 1, interface: 1, result: 1, balanceCents: 5, writeId: { branch: 1, seq: 2 }, witness: { branches: undefined, seqs: [] }, gateWaitMs: 3, replayed: true, clock: 4 };
  t.throws(() => encodeCustomerReply(broken as unknown as WireCustomerReply), "a witness without branches cannot be written");
  const next: WireCustomerReply = { branch: 2, interface: 3, result: 1, balanceCents: 0, writeId: undefined, witness: undefined, gateWaitMs: 0, replayed: false, clock: 0 };
  t.ok(Buffer.from(generatedReply(next).serialize()).equals(encodeCustomerReply(next)), "the next reply is its own bytes only");
});
