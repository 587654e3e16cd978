// Protocol Buffers' wire format by hand, for the direct codecs of the hot
// messages (customer-codec.ts, batch-codec.ts): an encoder that writes what
// google-protobuf's BinaryWriter writes, and a decoder that reads what its
// BinaryReader reads (its quirks included) but checks every length and varint
// against the bytes really there and refuses what the wire guard refuses.
// Each codec is tested against the generated classes on random messages and
// random bytes.

import { isUtf8 } from "node:buffer";
import { BinaryWriter } from "google-protobuf";

/** String.prototype.isWellFormed (Node 20 has it; TypeScript's lib here predates it). */
const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A string field as google-protobuf writes it (for strings Node's encoder writes otherwise). */
function runtimeString(field: number, s: string): Uint8Array {
  const w = new BinaryWriter();
  w.writeString(field, s);
  return w.getResultBuffer();
}

/** A version vector as the wire has it: two packed uint32 arrays. */
export interface WireVector {
  branches: number[];
  seqs: number[];
}

/** Thrown for bytes that are not a well-formed message. */
export class MalformedMessage extends Error {}

// ---- encoding --------------------------------------------------------------

/** A growing byte buffer, reused call after call (encoding never yields, so one per thread is enough). */
export class Out {
  bytes = new Uint8Array(256);
  at = 0;

  room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    bigger.set(this.bytes.subarray(0, this.at));
    this.bytes = bigger;
  }

  /** An unsigned varint of a non-negative integer below 2^64 (exact below 2^53). */
  varint(n: number): void {
    this.room(10);
    this.raw(n);
  }

  /** A varint where room is already made. */
  private raw(n: number): void {
    const b = this.bytes;
    while (n > 0x7f) {
      b[this.at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.at++] = n;
  }

  /** An int64 or int32 as protobuf writes it: a negative one as its 64-bit two's complement, ten bytes. */
  signed(n: number): void {
    if (n >= 0) return this.varint(n);
    let hi = Math.floor(n / 4294967296);
    let lo = n - hi * 4294967296;
    hi >>>= 0;
    this.room(10);
    const b = this.bytes;
    while (hi > 0 || lo > 0x7f) {
      b[this.at++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[this.at++] = lo;
  }

  /**
   * A string as UTF-8. One with a lone surrogate (not well-formed UTF-16)
   * goes through google-protobuf's own writer, which drops or passes such
   * halves where Node's encoder writes U+FFFD: the bytes stay the runtime's.
   */
  string(field: number, s: string): void {
    if (!isWellFormed(s)) return this.bytesOf(runtimeString(field, s));
    const length = Buffer.byteLength(s, "utf8");
    this.varint((field << 3) | 2);
    this.varint(length);
    this.room(length);
    this.at += Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length).write(s, this.at, "utf8");
  }

  private bytesOf(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A double, little-endian; NaN as google-protobuf writes it (all mantissa bits set), not as V8 holds it. */
  double(field: number, x: number): void {
    this.varint((field << 3) | 1);
    this.room(8);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset);
    if (Number.isNaN(x)) (view.setUint32(this.at, 0xffffffff, true), view.setUint32(this.at + 4, 0x7fffffff, true));
    else view.setFloat64(this.at, x, true);
    this.at += 8;
  }

  packed(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    let length = 0;
    for (const v of values) length += varintSize(v >>> 0);
    this.varint((field << 3) | 2);
    this.varint(length);
    for (const v of values) this.varint(v >>> 0);
  }

  vector(field: number, v: WireVector): void {
    const start = this.at;
    this.packed(1, v.branches);
    this.packed(2, v.seqs);
    this.wrap(field, start);
  }

  /** bank.proto's WriteId, as a field. */
  writeId(field: number, id: { branch: number; seq: number }): void {
    const start = this.at;
    if (id.branch !== 0) (this.varint(1 << 3), this.varint(id.branch >>> 0));
    if (id.seq !== 0) (this.varint(2 << 3), this.varint(id.seq >>> 0));
    this.wrap(field, start);
  }

  /** Puts a field tag and a length before the bytes written since `start`. */
  wrap(field: number, start: number): void {
    const body = this.at - start;
    const tag = (field << 3) | 2;
    const head = varintSize(tag) + varintSize(body);
    this.room(head);
    this.bytes.copyWithin(start + head, start, this.at);
    this.at = start;
    this.raw(tag);
    this.raw(body);
    this.at = start + head + body;
  }

  /** Starts a message: whatever a failed encoding left behind is dropped. */
  begin(): this {
    this.at = 0;
    return this;
  }

  take(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    out.set(this.bytes.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

export function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}


/** Reads fields of one message between `at` and `end`; every read is checked against `end`. */
export class In {
  readonly bytes: Uint8Array;
  at: number;
  readonly end: number;
  /** The last varint's low and high 32 bits (unsigned), whether it took more than 5 bytes, and whether it was 2^64 or more (a 10th byte above 1). */
  lo = 0;
  hi = 0;
  long = false;
  huge = false;

  constructor(bytes: Uint8Array, at: number, end: number) {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
  }

  varint(): void {
    const b = this.bytes;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new MalformedMessage("a varint runs past the end of its message");
      const byte = b[this.at++]!;
      if (i < 4) lo |= (byte & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (byte & 0x0f) << 28;
        hi = (byte & 0x7f) >> 4;
      } else hi |= (byte & 0x7f) << (7 * i - 32);
      if (byte < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.long = i >= 5;
        this.huge = i === 9 && byte > 1;
        return;
      }
    }
    throw new MalformedMessage("a varint is longer than 10 bytes");
  }

  /** The next field's number and wire type, checked as the guard checks them. */
  tag(): [number, number] {
    this.varint();
    const field = this.hi !== 0 || this.huge ? Infinity : this.lo >>> 3;
    if (field < 1 || field > 0x1fffffff) throw new MalformedMessage("a field number out of range");
    return [field, this.lo & 7];
  }

  /** As google-protobuf reads a uint32: its low 32 bits, read as signed when the varint is longer than 5 bytes. */
  uint32(): number {
    this.varint();
    return this.long ? this.lo | 0 : this.lo;
  }

  /** As google-protobuf joins an int64 (and reads an enum): exact within ±2^53, rounded (and so refused as unsafe) beyond. */
  int64(): number {
    this.varint();
    let { lo, hi } = this;
    const negative = (hi & 0x80000000) !== 0;
    if (negative) {
      lo = (~lo + 1) >>> 0;
      hi = ~hi >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
    }
    const n = hi * 4294967296 + lo;
    return negative ? -n : n;
  }

  uint64(): number {
    this.varint();
    return this.hi * 4294967296 + this.lo;
  }

  /** The bounds of a length-delimited field's body; `at` moves past it. */
  body(): number {
    this.varint();
    const length = this.hi !== 0 || this.huge ? Infinity : this.lo;
    const start = this.at;
    if (length > this.end - start) throw new MalformedMessage("a length runs past the end of its message");
    this.at = start + length;
    return start;
  }

  string(): string {
    const start = this.body();
    const slice = this.bytes.subarray(start, this.at);
    if (!isUtf8(slice)) throw new MalformedMessage("a string that is not UTF-8");
    return Buffer.from(slice.buffer, slice.byteOffset, slice.length).toString("utf8");
  }

  double(): number {
    if (this.end - this.at < 8) throw new MalformedMessage("a 64-bit field runs past the end of its message");
    const x = new DataView(this.bytes.buffer, this.bytes.byteOffset).getFloat64(this.at, true);
    this.at += 8;
    return x;
  }

  packedUint32(): number[] {
    const inner = this.sub();
    const values: number[] = [];
    while (inner.at < inner.end) values.push(inner.uint32());
    return values;
  }

  vector(): WireVector {
    const inner = this.sub();
    const v: WireVector = { branches: [], seqs: [] };
    while (inner.at < inner.end) {
      const [field, type] = inner.tag();
      if (field === 1) v.branches = inner.expect(type, 2).packedUint32();
      else if (field === 2) v.seqs = inner.expect(type, 2).packedUint32();
      else inner.skip(type);
    }
    return v;
  }

  /** bank.proto's WriteId. */
  writeId(): { branch: number; seq: number } {
    const d = this.sub();
    const id = { branch: 0, seq: 0 };
    while (d.at < d.end) {
      const [field, type] = d.tag();
      if (field === 1) id.branch = d.expect(type, 0).uint32();
      else if (field === 2) id.seq = d.expect(type, 0).uint32();
      else d.skip(type);
    }
    return id;
  }

  /** A length-delimited field's body, to read as a message of its own. */
  sub(): In {
    const start = this.body();
    return new In(this.bytes, start, this.at);
  }

  expect(type: number, wanted: number): this {
    if (type !== wanted) throw new MalformedMessage("a field with the wrong wire type");
    return this;
  }

  /** Skips an unknown field (groups, and wire types 6 and 7, are refused). */
  skip(type: number): void {
    if (type === 0) this.varint();
    else if (type === 2) this.body();
    else if (type === 1 || type === 5) {
      const size = type === 1 ? 8 : 4;
      if (this.end - this.at < size) throw new MalformedMessage("a fixed-size field runs past the end of its message");
      this.at += size;
    } else throw new MalformedMessage(`wire type ${type} is not accepted`);
  }
}
