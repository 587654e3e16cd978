// bank-sim's outputs checked against their contracts in schemas/ with ajv:
// results.json, `check --json`, bench JSON, and every line of history.jsonl.
// A test calls assertValid(t, name, value); the failure names each bad key.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import type { Test } from "tap";
import { ROOT } from "./paths.js";

export const OUTPUT_SCHEMAS = {
  results: "results.schema.json",
  check: "check-report.schema.json",
  bench: "bench-report.schema.json",
  history: "history-record.schema.json",
} as const;

export type OutputName = keyof typeof OUTPUT_SCHEMAS;

let validators: Map<OutputName, ValidateFunction> | undefined;

function compile(): Map<OutputName, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const file of Object.values(OUTPUT_SCHEMAS)) ajv.addSchema(JSON.parse(readFileSync(join(ROOT, "schemas", file), "utf8")), file);
  const map = new Map<OutputName, ValidateFunction>();
  for (const [name, file] of Object.entries(OUTPUT_SCHEMAS) as Array<[OutputName, string]>) {
    const v = ajv.getSchema(file);
    if (v === undefined) throw new Error(`schemas/${file} did not compile`);
    map.set(name, v);
  }
  return map;
}

/** Undefined when `value` is valid output `name`; otherwise each problem, `/events/0/op must be integer`. */
export function outputProblems(name: OutputName, value: unknown): string | undefined {
  const validate = (validators ??= compile()).get(name)!;
  if (validate(value)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`).join("; ");
}

export function assertValid(t: Pick<Test, "equal">, name: OutputName, value: unknown, what: string = name): void {
  t.equal(outputProblems(name, value), undefined, `${what} matches schemas/${OUTPUT_SCHEMAS[name]}`);
}

/** Every line of a history.jsonl file against the record schema. */
export function assertValidHistory(t: Pick<Test, "equal">, file: string): void {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  const bad = lines.map((l, i) => [i + 1, outputProblems("history", JSON.parse(l))] as const).filter(([, p]) => p !== undefined);
  t.equal(bad.length === 0 ? undefined : bad.slice(0, 3).map(([n, p]) => `line ${n}: ${p}`).join("; "), undefined, `every line of ${file} matches schemas/history-record.schema.json`);
}
