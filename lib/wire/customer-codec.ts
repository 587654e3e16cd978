// The two messages of every customer call, CustomerRequest and CustomerReply,
// encoded and decoded directly between bytes and plain objects: the same bytes
// the generated google-protobuf classes produce and the same fields they read
// back (test/wire/customer-codec.test.ts checks both on random messages and on
// random bytes), without building a jspb message, its wrapper fields and its
// BinaryWriter for every call. The decoder (proto-bytes.ts) refuses what the
// wire guard refuses, so a branch decodes a request in one pass and asks the
// guard only for the words of its refusal.

import { In, Out, type WireVector } from "./proto-bytes.js";

/** banksim.v1.CustomerRequest's fields, named as the generated class names them. */
export interface WireCustomerRequest {
  requestId: string;
  session: string;
  interface: number;
  amountCents: number;
  writeSet: WireVector | undefined;
  readSet: WireVector | undefined;
  guarantees: number;
  clock: number;
}

/** banksim.v1.CustomerReply's fields, named as the generated class names them. */
export interface WireCustomerReply {
  branch: number;
  interface: number;
  result: number;
  balanceCents: number;
  writeId: { branch: number; seq: number } | undefined;
  witness: WireVector | undefined;
  gateWaitMs: number;
  replayed: boolean;
  clock: number;
}

/** One encoder per thread: encoding never yields, and each message begins it afresh. */
const shared = new Out();

/** The bytes google-protobuf writes for this request: fields in number order, zero values left out. */
export function encodeCustomerRequest(r: WireCustomerRequest): Buffer {
  const out = shared.begin();
  if (r.requestId !== "") out.string(1, r.requestId);
  if (r.session !== "") out.string(2, r.session);
  if (r.interface !== 0) (out.varint(3 << 3), out.signed(r.interface));
  if (r.amountCents !== 0) (out.varint(4 << 3), out.signed(r.amountCents));
  if (r.writeSet) out.vector(5, r.writeSet);
  if (r.readSet) out.vector(6, r.readSet);
  if (r.guarantees !== 0) (out.varint(7 << 3), out.varint(r.guarantees >>> 0));
  if (r.clock !== 0) (out.varint(8 << 3), out.varint(r.clock));
  return out.take();
}

/** The bytes google-protobuf writes for this reply. */
export function encodeCustomerReply(r: WireCustomerReply): Buffer {
  const out = shared.begin();
  if (r.branch !== 0) (out.varint(1 << 3), out.varint(r.branch >>> 0));
  if (r.interface !== 0) (out.varint(2 << 3), out.signed(r.interface));
  if (r.result !== 0) (out.varint(3 << 3), out.signed(r.result));
  if (r.balanceCents !== 0) (out.varint(4 << 3), out.signed(r.balanceCents));
  if (r.writeId) out.writeId(5, r.writeId);
  if (r.witness) out.vector(6, r.witness);
  if (r.gateWaitMs !== 0) out.double(7, r.gateWaitMs);
  if (r.replayed) (out.varint(8 << 3), out.varint(1));
  if (r.clock !== 0) (out.varint(9 << 3), out.varint(r.clock));
  return out.take();
}

/** A CustomerRequest's fields, as the generated class would read them (a repeated field's last value wins). */
export function decodeCustomerRequest(bytes: Uint8Array): WireCustomerRequest {
  const r: WireCustomerRequest = { requestId: "", session: "", interface: 0, amountCents: 0, writeSet: undefined, readSet: undefined, guarantees: 0, clock: 0 };
  const d = new In(bytes, 0, bytes.length);
  while (d.at < d.end) {
    const [field, type] = d.tag();
    switch (field) {
      case 1: r.requestId = d.expect(type, 2).string(); break;
      case 2: r.session = d.expect(type, 2).string(); break;
      case 3: r.interface = d.expect(type, 0).int64(); break;
      case 4: r.amountCents = d.expect(type, 0).int64(); break;
      case 5: r.writeSet = d.expect(type, 2).vector(); break;
      case 6: r.readSet = d.expect(type, 2).vector(); break;
      case 7: r.guarantees = d.expect(type, 0).uint32(); break;
      case 8: r.clock = d.expect(type, 0).uint64(); break;
      default: d.skip(type);
    }
  }
  return r;
}

/** A CustomerReply's fields, as the generated class would read them. */
export function decodeCustomerReply(bytes: Uint8Array): WireCustomerReply {
  const r: WireCustomerReply = { branch: 0, interface: 0, result: 0, balanceCents: 0, writeId: undefined, witness: undefined, gateWaitMs: 0, replayed: false, clock: 0 };
  const d = new In(bytes, 0, bytes.length);
  while (d.at < d.end) {
    const [field, type] = d.tag();
    switch (field) {
      case 1: r.branch = d.expect(type, 0).uint32(); break;
      case 2: r.interface = d.expect(type, 0).int64(); break;
      case 3: r.result = d.expect(type, 0).int64(); break;
      case 4: r.balanceCents = d.expect(type, 0).int64(); break;
      case 5: r.writeId = d.expect(type, 2).writeId(); break;
      case 6: r.witness = d.expect(type, 2).vector(); break;
      case 7: r.gateWaitMs = d.expect(type, 1).double(); break;
      case 8: r.replayed = d.expect(type, 0).uint32() !== 0; break;
      case 9: r.clock = d.expect(type, 0).uint64(); break;
      default: d.skip(type);
    }
  }
  return r;
}

