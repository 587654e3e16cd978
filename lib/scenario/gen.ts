// Random scenarios for benchmarks and tests, in the course's own file format
// (so they go through the same parser as real fixtures), deterministic for a
// seed so a failing run can be replayed (lib/random.ts).

import { seededRandom } from "../core/random.js";
import { ScenarioError, describeFound } from "./fixture-error.js";
import { MAX_BRANCHES, MAX_EVENTS } from "../core/limits.js";
import { MAX_AMOUNT_CENTS } from "../core/limits.js";
import { formatMoney } from "../core/money.js";
import type { Interface, OutputShape } from "./scenario.js";

export interface Mix {
  deposit: number;
  withdraw: number;
  query: number;
}

export const DEFAULT_MIX: Mix = { deposit: 4, withdraw: 3, query: 3 };

export interface GenOptions {
  branches: number;
  customers: number;
  /** Events per customer. */
  events: number;
  seed: number;
  /** Relative weights of the three operations. */
  mix: Mix;
  /** Every branch's starting balance; default 40000 (400.00). */
  balanceCents?: number;
  /** How events name their branch; default "branch". "recv" needs customers ≤ branches. */
  shape?: OutputShape;
}


function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`gen: ${name}: expected an integer from ${min} to ${max}, found ${value}`);
  }
}

export function generateScenario(options: GenOptions): unknown[] {
  const { branches, customers, events, mix } = options;
  const shape = options.shape ?? "branch";
  const balanceCents = options.balanceCents ?? 40_000;
  checkInt("branches", branches, 1, MAX_BRANCHES);
  checkInt("customers", customers, 1, MAX_EVENTS);
  checkInt("events", events, 0, MAX_EVENTS);
  checkInt("seed", options.seed, 0, 0xffffffff);
  checkInt("balanceCents", balanceCents, 0, MAX_AMOUNT_CENTS);
  if (customers * events > MAX_EVENTS) throw new RangeError(`gen: customers × events: expected at most ${MAX_EVENTS}, found ${customers * events}`);
  if (shape === "recv" && customers > branches) {
    throw new RangeError(`gen: shape "recv" sends customer i to branch i, so customers (${customers}) must be at most branches (${branches})`);
  }
  checkMix(mix);

  const random = seededRandom(options.seed);
  const below = (n: number) => Math.floor(random() * n);
  const total = mix.deposit + mix.withdraw + mix.query;
  const pick = (): Interface => {
    const r = random() * total;
    return r < mix.deposit ? "deposit" : r < mix.deposit + mix.withdraw ? "withdraw" : "query";
  };
  // Mostly whole units like the course files; one in five carries cents to exercise exact money.
  const amount = (): number => {
    const units = 1 + below(500);
    return formatMoney(units * 100 + (below(5) === 0 ? below(100) : 0));
  };

  const doc: unknown[] = [];
  let eventId = 0;
  for (let c = 1; c <= customers; c++) {
    const evs: Record<string, unknown>[] = [];
    for (let k = 0; k < events; k++) {
      const iface = pick();
      const ev: Record<string, unknown> = { id: ++eventId, interface: iface };
      if (iface !== "query") ev["money"] = amount();
      if (shape !== "recv") ev[shape] = 1 + below(branches);
      evs.push(ev);
    }
    doc.push({ id: c, type: "customer", events: evs });
  }
  for (let b = 1; b <= branches; b++) doc.push({ id: b, type: "branch", balance: formatMoney(balanceCents) });
  return doc;
}

function checkMix(mix: Mix): void {
  for (const name of ["deposit", "withdraw", "query"] as const) {
    const w = mix[name];
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`gen: mix.${name}: expected a non-negative integer, found ${w}`);
  }
  if (mix.deposit + mix.withdraw + mix.query === 0) throw new RangeError("gen: mix: expected at least one positive weight, found all 0");
}

const MIX_EXAMPLE = "deposit=4,withdraw=3,query=3";

/** Parses "deposit=4,withdraw=3,query=3"; omitted operations get weight 0. */
export function parseMix(text: string, source = "--mix"): Mix {
  const fail = (expected: string, found: string) => new ScenarioError({ source, path: "", expected, found });
  const mix: Mix = { deposit: 0, withdraw: 0, query: 0 };
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const m = /^\s*([a-z]+)\s*=\s*(\d{1,9})\s*$/.exec(part);
    if (!m || m[1] === undefined || m[2] === undefined) throw fail(`name=weight pairs like ${MIX_EXAMPLE}`, describeFound(part));
    const name = m[1];
    if (name !== "deposit" && name !== "withdraw" && name !== "query") {
      throw fail(`"deposit", "withdraw" or "query"`, describeFound(name));
    }
    if (seen.has(name)) throw fail(`each operation at most once`, `${name} twice`);
    seen.add(name);
    mix[name] = Number(m[2]);
  }
  if (mix.deposit + mix.withdraw + mix.query === 0) throw fail("at least one positive weight", describeFound(text));
  return mix;
}
