// A structural check of protobuf bytes from the network, run before
// google-protobuf decodes them. google-protobuf 3.21 trusts length prefixes:
// a 7-byte CustomerRequest whose request_id claims 4 GiB makes readString
// loop 4 billion times past the end of the buffer, freezing the worker
// thread (every branch in it, and its host's replication) for about 17 s per
// request. This walk checks every tag, varint and length against the bytes
// that are really there, following the schema of bank.proto, so the decoder
// only ever sees input it handles in time linear in its size. The hot
// messages' direct decoders (customer-codec.ts, batch-codec.ts) check as they
// read and refuse the same bytes; for those, the walk runs only to word a
// refusal (guardRequests' `direct` decoders).
//
// Schemas are written out by hand from proto/bank.proto; a test decodes every
// message the generated encoder produces through the guard.

import type * as grpc from "@grpc/grpc-js";
import { MalformedMessage } from "./proto-bytes.js";

type FieldKind = "varint" | "fixed64" | "fixed32" | "string" | "packed-varint" | MessageSchema;
export interface MessageSchema {
  name: string;
  fields: Readonly<Record<number, readonly [string, FieldKind]>>;
}

const VERSION_VECTOR: MessageSchema = { name: "VersionVector", fields: { 1: ["branches", "packed-varint"], 2: ["seqs", "packed-varint"] } };
const WRITE_ID: MessageSchema = { name: "WriteId", fields: { 1: ["branch", "varint"], 2: ["seq", "varint"] } };
export const CUSTOMER_REQUEST: MessageSchema = {
  name: "banksim.v1.CustomerRequest",
  fields: {
    1: ["request_id", "string"], 2: ["session", "string"], 3: ["interface", "varint"], 4: ["amount_cents", "varint"],
    5: ["write_set", VERSION_VECTOR], 6: ["read_set", VERSION_VECTOR], 7: ["guarantees", "varint"],
    8: ["clock", "varint"],
  },
};
/** Replies are not guarded (a customer decodes them with the direct codec, which checks as it reads); this states what that codec refuses. */
export const CUSTOMER_REPLY: MessageSchema = {
  name: "banksim.v1.CustomerReply",
  fields: {
    1: ["branch", "varint"], 2: ["interface", "varint"], 3: ["result", "varint"], 4: ["balance_cents", "varint"], 5: ["write_id", WRITE_ID],
    6: ["witness", VERSION_VECTOR], 7: ["gate_wait_ms", "fixed64"], 8: ["replayed", "varint"], 9: ["clock", "varint"],
  },
};
export const AWAIT_REQUEST: MessageSchema = { name: "banksim.v1.AwaitRequest", fields: { 1: ["applied", VERSION_VECTOR], 2: ["timeout_ms", "varint"] } };
export const STATE_REQUEST: MessageSchema = { name: "banksim.v1.StateRequest", fields: {} };
export const OWN_WRITES_REQUEST: MessageSchema = { name: "banksim.v1.OwnWritesRequest", fields: { 1: ["after_seq", "varint"] } };
export const APPLIED_LOG_REQUEST: MessageSchema = { name: "banksim.v1.AppliedLogRequest", fields: { 1: ["from_index", "varint"] } };
const WRITE: MessageSchema = {
  name: "Write",
  fields: { 1: ["id", WRITE_ID], 2: ["interface", "varint"], 3: ["amount_cents", "varint"], 4: ["deps", VERSION_VECTOR], 5: ["accepted_at_ms", "fixed64"], 6: ["clock", "varint"] },
};
export const WRITE_BATCH: MessageSchema = { name: "banksim.v1.WriteBatch", fields: { 1: ["from_host", "varint"], 2: ["batch_seq", "varint"], 3: ["writes", WRITE] } };

const WIRE_TYPE: Record<number, string> = { 0: "varint", 1: "64-bit", 2: "length-delimited", 3: "start-group", 4: "end-group", 5: "32-bit" };
const EXPECTED_WIRE_TYPE = (kind: FieldKind): number =>
  kind === "varint" ? 0 : kind === "fixed64" ? 1 : kind === "fixed32" ? 5 : 2;

class WireProblem extends Error {}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Why `bytes` is not a well-formed `schema` message, or undefined if google-protobuf may decode it. */
export function wireProblem(bytes: Uint8Array, schema: MessageSchema): string | undefined {
  try {
    walk(bytes, 0, bytes.length, schema, "");
    return undefined;
  } catch (err) {
    if (err instanceof WireProblem) return err.message;
    throw err;
  }
}

/** "write_set.branches: " before a problem inside a field; nothing at the top level. */
function at0(where: string): string {
  return where ? `${where}: ` : "";
}

/** Reads a varint at `at` that must end before `end`; returns [value as a float, next offset]. */
function varint(bytes: Uint8Array, at: number, end: number, where: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) throw new WireProblem(`${at0(where)}a varint at byte ${at} runs past the end of its message`);
    const b = bytes[at + i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, at + i + 1];
  }
  throw new WireProblem(`${at0(where)}a varint at byte ${at} is longer than 10 bytes`);
}

function walk(bytes: Uint8Array, start: number, end: number, schema: MessageSchema, where: string): void {
  let at = start;
  while (at < end) {
    const tagAt = at;
    const [tag, afterTag] = varint(bytes, at, end, where);
    at = afterTag;
    const fieldNo = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (fieldNo < 1 || fieldNo > 0x1fffffff) throw new WireProblem(`${at0(where)}field number ${fieldNo} at byte ${tagAt} is out of range`);
    const field = schema.fields[fieldNo];
    const name = field ? `${where}${where ? "." : ""}${field[0]}` : `${where}${where ? " " : ""}field ${fieldNo}`;
    if (field && wireType !== EXPECTED_WIRE_TYPE(field[1])) {
      throw new WireProblem(`${name} at byte ${tagAt}: expected wire type ${WIRE_TYPE[EXPECTED_WIRE_TYPE(field[1])]}, found ${WIRE_TYPE[wireType] ?? wireType}`);
    }
    switch (wireType) {
      case 0:
        at = varint(bytes, at, end, name)[1];
        break;
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (at + size > end) throw new WireProblem(`${name} at byte ${tagAt} needs ${size} bytes, but only ${end - at} remain`);
        at += size;
        break;
      }
      case 2: {
        const [length, body] = varint(bytes, at, end, name);
        if (length > end - body) throw new WireProblem(`${name} at byte ${tagAt} claims ${length} bytes, but only ${end - body} remain`);
        const kind = field?.[1];
        if (kind === "string") {
          // proto3 strings are UTF-8; google-protobuf's decoder runs past the end of a truncated sequence and loses its place.
          try {
            UTF8.decode(bytes.subarray(body, body + length));
          } catch {
            throw new WireProblem(`${name} at byte ${tagAt} is not valid UTF-8`);
          }
        } else if (kind === "packed-varint") {
          for (let p = body; p < body + length;) p = varint(bytes, p, body + length, name)[1];
        } else if (kind !== undefined && typeof kind === "object") {
          walk(bytes, body, body + length, kind, name);
        }
        at = body + length;
        break;
      }
      default:
        throw new WireProblem(`${name} at byte ${tagAt}: wire type ${WIRE_TYPE[wireType] ?? wireType} is not accepted`);
    }
  }
}

/** What a guarded deserializer returns in place of a message that failed the check. */
export class UndecodableMessage {
  readonly problem: string;
  constructor(problem: string) {
    this.problem = problem;
  }
}

/**
 * A copy of a generated service definition whose request deserializers run
 * the check first and yield an UndecodableMessage, not a thrown error (which
 * grpc-js would turn into INTERNAL), so the handler can answer INVALID_ARGUMENT.
 * A method given a `direct` decoder (one that refuses what the guard refuses,
 * customer-codec.ts, batch-codec.ts) reads its requests with that instead.
 */
export function guardRequests<D extends grpc.ServiceDefinition>(
  definition: D,
  schemas: { [K in keyof D]: MessageSchema },
  direct: { [K in keyof D]?: (bytes: Buffer) => unknown } = {},
): D {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, def] of Object.entries(definition)) {
    const schema = schemas[method as keyof D];
    const decode = direct[method as keyof D];
    out[method] = {
      ...def,
      requestDeserialize: decode ? (bytes: Buffer) => decodeGuarded(bytes, schema, decode) : (bytes: Buffer) => {
        const problem = wireProblem(bytes, schema);
        return problem ? new UndecodableMessage(`request is not a valid ${schema.name}: ${problem}`) : def.requestDeserialize(bytes);
      },
    };
  }
  return out as D;
}

/**
 * A request read by a direct decoder: one pass over good bytes; for bad ones,
 * the guard's walk gives the refusal its words (the field, the byte).
 */
function decodeGuarded<T>(bytes: Buffer, schema: MessageSchema, decode: (bytes: Buffer) => T): T | UndecodableMessage {
  try {
    return decode(bytes);
  } catch (err) {
    if (!(err instanceof MalformedMessage)) throw err;
    return new UndecodableMessage(`request is not a valid ${schema.name}: ${wireProblem(bytes, schema) ?? err.message}`);
  }
}
