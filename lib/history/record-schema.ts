// Validates one history.jsonl record against schemas/history-record.schema.json
// (the format's contract, for bank-sim's checker and for anyone else reading
// the file), with ajv. A failure is one line for people:
// `invoke.amountCents: expected an amount in cents (a whole number ≥ 0), found "5"`.
//
// ajv is loaded and the schema read and compiled on first use, so commands
// that never read a history pay nothing (a run does not: it trusts its own).
// Each record type has its own compiled validator (the record's "type" picks
// it), which keeps the first error about the field that is wrong instead of
// about the oneOf that failed.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { groupShapeProblem } from "./apply-group.js";
import type { ApplyGroupRecord } from "./types.js";

export const RECORD_TYPES = ["meta", "invoke", "complete", "apply", "apply-group", "buffer", "final"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** The schema file, beside lib/ in the source tree and three levels above dist/lib/history/. */
export const HISTORY_RECORD_SCHEMA = new URL("../../../schemas/history-record.schema.json", import.meta.url);

interface SchemaNode {
  $ref?: string;
  type?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  properties?: Record<string, SchemaNode>;
}

interface Compiled {
  validators: Map<string, ValidateFunction>;
  definitions: Record<string, SchemaNode>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  const schema = JSON.parse(readFileSync(HISTORY_RECORD_SCHEMA, "utf8")) as { $id: string; definitions: Record<string, SchemaNode> };
  // verbose: errors carry the failing value and schema, which the messages quote.
  const { Ajv } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: true });
  ajv.addSchema(schema);
  const validators = new Map<string, ValidateFunction>();
  for (const type of RECORD_TYPES) {
    const v = ajv.getSchema(`${schema.$id}#/definitions/${type}`);
    if (v === undefined) throw new Error(`${HISTORY_RECORD_SCHEMA.pathname}: no definition of the "${type}" record`);
    validators.set(type, v);
  }
  return { validators, definitions: schema.definitions };
}

/**
 * Undefined when `value` is a valid record; otherwise what is wrong, as
 * `field: expected ..., found ...` (fields named from the record type down:
 * `apply.writes[2].kind`).
 */
export function recordProblem(value: unknown): string | undefined {
  const type = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
  const c = (compiled ??= compile());
  const validate = typeof type === "string" ? c.validators.get(type) : undefined;
  if (validate === undefined) {
    const names = RECORD_TYPES.map((t) => JSON.stringify(t)).join(", ");
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return `record: expected a JSON object with "type" one of ${names}, found ${found(value)}`;
    }
    return `type: expected one of ${names}, found ${found(type)}`;
  }
  if (validate(value)) return type === "apply-group" ? groupShapeProblem(value as ApplyGroupRecord) : undefined;
  const err = validate.errors?.[0];
  const name = String(type);
  if (err === undefined) return `${name}: expected a valid ${name} record`;
  return describeError(name, value, err, c.definitions);
}

function describeError(type: string, record: unknown, err: ErrorObject, definitions: Record<string, SchemaNode>): string {
  const segments = err.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const parent = err.parentSchema as SchemaNode | undefined;
  if (err.keyword === "required") {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    const node = resolve(parent?.properties?.[missing], definitions);
    return `${fieldPath(type, record, [...segments, missing])}: expected ${expectedOf(node, "type")}, found nothing (the field is missing)`;
  }
  if (err.propertyName !== undefined) {
    return `${fieldPath(type, record, segments)}: expected ${parent?.description ?? "a valid key"}, found the key ${JSON.stringify(err.propertyName)}`;
  }
  return `${fieldPath(type, record, segments)}: expected ${expectedOf(parent, err.keyword, err)}, found ${found(err.data)}`;
}

function resolve(node: SchemaNode | undefined, definitions: Record<string, SchemaNode>): SchemaNode | undefined {
  const ref = node?.$ref;
  if (ref === undefined) return node;
  return definitions[ref.replace(/^#\/definitions\//, "")];
}

const TYPE_WORDS: Record<string, string> = {
  integer: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "an array",
  object: "an object",
  null: "null",
};

function expectedOf(node: SchemaNode | undefined, keyword: string, err?: ErrorObject): string {
  if (keyword === "enum" && node?.enum !== undefined) return `one of ${node.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  if (keyword === "const" && node !== undefined && "const" in node) return JSON.stringify(node.const);
  if (keyword === "uniqueItems") return `${node?.description ?? "an array"} without repeats`;
  if (node?.description !== undefined) return node.description;
  if (node?.enum !== undefined) return `one of ${node.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  if (node !== undefined && "const" in node) return JSON.stringify(node.const);
  if (keyword === "minimum" && node?.minimum !== undefined) return `${TYPE_WORDS[node.type ?? "number"] ?? "a number"} ≥ ${node.minimum}`;
  if (keyword === "minLength") return "a non-empty string";
  if (node?.type !== undefined) return TYPE_WORDS[node.type] ?? `a ${node.type}`;
  return err?.message ?? "a valid value";
}

/** `complete.witness.2`, `apply.writes[3].amountCents`: arrays get brackets, found by walking the record. */
function fieldPath(type: string, record: unknown, segments: string[]): string {
  let path = type;
  let at: unknown = record;
  for (const s of segments) {
    path += Array.isArray(at) ? `[${s}]` : `.${s}`;
    at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[s] : undefined;
  }
  return path;
}

/** A value as the message quotes it: JSON, cut to 60 characters; `nothing` for undefined. */
function found(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
