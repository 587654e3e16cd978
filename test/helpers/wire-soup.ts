// Random protobuf bytes for the direct codecs' tests (test/wire/*-codec.test.ts):
// loose fields of every wire type, whole messages, and both with bytes cut out
// and spliced in; and the property every direct decoder must have on them.

import fc from "fast-check";
import { MalformedMessage } from "../../lib/wire/proto-bytes.js";
import { type MessageSchema, wireProblem } from "../../lib/wire/wire-guard.js";

export const SEED = 531;
export const u32 = fc.nat({ max: 0xffffffff });
export const vector = fc.record({ branches: fc.array(u32, { maxLength: 12 }), seqs: fc.array(u32, { maxLength: 12 }) });
/** Integers google-protobuf writes exactly: within ±2^53, and the edges of 32 bits. */
export const safe = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, -(2 ** 31), 2 ** 32, Number.MIN_SAFE_INTEGER));
export const uSafe = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32, 2 ** 53 - 1));
export const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

export const plainVector = (v: { branches: number[]; seqs: number[] } | undefined) => (v ? { branches: [...v.branches], seqs: [...v.seqs] } : undefined);

/** Object.is on every leaf, so -0, NaN and undefined count. */
export function same(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return Object.is(a, b);
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A protobuf varint of a 64-bit two's complement value. */
export function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

/** One field of any number and wire type, with a body of its type: a field the schema knows, or one it does not. */
const field = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 1, 2, 5), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 12 }))
  .map(([no, type, n, body]) => {
    const head = varint(BigInt(no * 8 + type));
    if (type === 0) return [...head, ...varint(n)];
    if (type === 1) return [...head, ...body.subarray(0, 8), ...new Array(Math.max(0, 8 - body.length)).fill(7)];
    if (type === 5) return [...head, 1, 2, 3, 4];
    return [...head, ...varint(BigInt(body.length)), ...body];
  });
/** A 10-byte varint with any last byte: not canonical, and 2^64 or more when that byte is above 1. */
const tenBytes = fc.tuple(
  // Any low bits, or none above the first byte's (so only the last byte makes the value large).
  fc.oneof(fc.uint8Array({ minLength: 9, maxLength: 9 }), fc.nat(127).map((first) => Uint8Array.of(first, 0, 0, 0, 0, 0, 0, 0, 0))),
  fc.integer({ min: 0, max: 127 }),
).map(([head, last]) => [...head.map((b) => b | 0x80), last]);
/** A field whose tag, or whose varint value, or whose length is such a varint. */
const longVarintField = fc.tuple(fc.integer({ min: 1, max: 12 }), tenBytes, fc.constantFrom("tag", "value", "length"))
  .map(([no, v, where]) => (where === "tag" ? [...v, 1] : where === "value" ? [...varint(BigInt(no * 8)), ...v] : [...varint(BigInt(no * 8 + 2)), ...v]));
/** Whole messages and loose fields, one after another (a later field overrides an earlier one). */
export const soup = (messages: fc.Arbitrary<Uint8Array>) =>
  fc.array(fc.oneof(field, longVarintField, messages.map((m) => [...m])), { maxLength: 6 }).map((parts) => new Uint8Array(parts.flat()));
/** Messages with bytes cut out and spliced in. */
export const mutated = (messages: fc.Arbitrary<Uint8Array>) => fc.tuple(soup(messages), fc.nat(), fc.nat(3), fc.uint8Array({ maxLength: 4 })).map(([bytes, at, cut, insert]) => {
  const b = Array.from(bytes);
  b.splice(at % (b.length + 1), cut, ...insert);
  return new Uint8Array(b);
});

/** On any bytes: refused exactly where the wire guard refuses them, and otherwise read as google-protobuf reads them. */
export function readsLikeTheGeneratedClass<F>(schema: MessageSchema, decode: (b: Uint8Array) => F, generated: (b: Uint8Array) => F) {
  return (bytes: Uint8Array) => {
    const problem = wireProblem(bytes, schema);
    let decoded: F;
    try {
      decoded = decode(bytes);
    } catch (err) {
      return err instanceof MalformedMessage && problem !== undefined;
    }
    return problem === undefined && same(decoded, generated(bytes));
  };
}
