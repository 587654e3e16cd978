// The direct codec of the customer call (lib/wire/customer-codec.ts) against
// the generated google-protobuf classes, which stay the wire contract: the same
// bytes out for every message, the same fields back from any bytes, and a
// refusal exactly where the wire guard refuses a request.

import fc from "fast-check";
import t from "tap";
import {
  decodeCustomerReply, decodeCustomerRequest, encodeCustomerReply, encodeCustomerRequest, MalformedMessage,
  type WireCustomerReply, type WireCustomerRequest, type WireVector,
} from "../../lib/wire/customer-codec.js";
import { CUSTOMER_REPLY, CUSTOMER_REQUEST } from "../../lib/wire/wire-guard.js";
import { pb } from "../../lib/wire/pb.js";
import { mutated, optional, plainVector, readsLikeTheGeneratedClass, safe, same, SEED, soup, u32, uSafe, vector } from "../helpers/wire-soup.js";

const text = fc.string({ unit: "grapheme", maxLength: 24 });

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

t.test("what the generated classes write decodes to the fields they read", async (t) => {
  const readsAlike = <M extends { serialize(): Uint8Array }, F>(make: (r: F) => M, decode: (b: Uint8Array) => F, generated: (b: Uint8Array) => F) => (r: F) => {
    const bytes = make(r).serialize();
    return same(decode(bytes), generated(bytes));
  };
  fc.assert(fc.property(request, readsAlike(generatedRequest, decodeCustomerRequest, (b) => fieldsOfRequest(pb.CustomerRequest.deserialize(b)))), { numRuns: 2_000, seed: SEED });
  fc.assert(fc.property(reply, readsAlike(generatedReply, decodeCustomerReply, (b) => fieldsOfReply(pb.CustomerReply.deserialize(b)))), { numRuns: 2_000, seed: SEED });
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
