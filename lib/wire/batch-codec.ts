// The replication stream's message, WriteBatch (a host's writes for one
// peer), encoded and decoded directly between bytes and plain objects, as
// customer-codec.ts does for the customer call: the generated classes' bytes
// out, their fields back (test/wire/batch-codec.test.ts checks both on random
// batches and random bytes), without a jspb message per write, per id and per
// dependency vector. Catch-up (OwnWrites) and the applied log keep the
// generated classes.

import { In, Out, type WireVector } from "./proto-bytes.js";

/** banksim.v1.Write's fields, named as the generated class names them. */
export interface WriteFields {
  id: { branch: number; seq: number } | undefined;
  interface: number;
  amountCents: number;
  deps: WireVector | undefined;
  acceptedAtMs: number;
  clock: number;
}

/** banksim.v1.WriteBatch's fields. */
export interface WriteBatchFields {
  fromHost: number;
  batchSeq: number;
  writes: WriteFields[];
}

/** One encoder per thread: encoding never yields, and each message begins it afresh. */
const shared = new Out();

/** The bytes google-protobuf writes for this batch. */
export function encodeWriteBatch(b: WriteBatchFields): Buffer {
  const out = shared.begin();
  if (b.fromHost !== 0) (out.varint(1 << 3), out.varint(b.fromHost >>> 0));
  if (b.batchSeq !== 0) (out.varint(2 << 3), out.varint(b.batchSeq));
  for (const w of b.writes) {
    const start = out.at;
    putWrite(out, w);
    out.wrap(3, start);
  }
  return out.take();
}

function putWrite(out: Out, w: WriteFields): void {
  if (w.id) out.writeId(1, w.id);
  if (w.interface !== 0) (out.varint(2 << 3), out.signed(w.interface));
  if (w.amountCents !== 0) (out.varint(3 << 3), out.signed(w.amountCents));
  if (w.deps) out.vector(4, w.deps);
  if (w.acceptedAtMs !== 0) out.double(5, w.acceptedAtMs);
  if (w.clock !== 0) (out.varint(6 << 3), out.varint(w.clock));
}

/** A WriteBatch's fields, as the generated class would read them (writes in order; a repeated scalar's last value wins). */
export function decodeWriteBatch(bytes: Uint8Array): WriteBatchFields {
  const b: WriteBatchFields = { fromHost: 0, batchSeq: 0, writes: [] };
  const d = new In(bytes, 0, bytes.length);
  while (d.at < d.end) {
    const [field, type] = d.tag();
    switch (field) {
      case 1: b.fromHost = d.expect(type, 0).uint32(); break;
      case 2: b.batchSeq = d.expect(type, 0).uint64(); break;
      case 3: b.writes.push(readWrite(d.expect(type, 2).sub())); break;
      default: d.skip(type);
    }
  }
  return b;
}

function readWrite(d: In): WriteFields {
  const w: WriteFields = { id: undefined, interface: 0, amountCents: 0, deps: undefined, acceptedAtMs: 0, clock: 0 };
  while (d.at < d.end) {
    const [field, type] = d.tag();
    switch (field) {
      case 1: w.id = d.expect(type, 2).writeId(); break;
      case 2: w.interface = d.expect(type, 0).int64(); break;
      case 3: w.amountCents = d.expect(type, 0).int64(); break;
      case 4: w.deps = d.expect(type, 2).vector(); break;
      case 5: w.acceptedAtMs = d.expect(type, 1).double(); break;
      case 6: w.clock = d.expect(type, 0).uint64(); break;
      default: d.skip(type);
    }
  }
  return w;
}

