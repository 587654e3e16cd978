// Injected propagation delay, per message and per link, to make the anomalies
// of weak consistency visible. A spec is a comma list of rules:
//   "150ms"            every link, fixed
//   "20..200ms"        every link, uniform random in the range (seeded)
//   "2-1:500ms"        only writes from branch 2 to replica 1
//   "*-3:1s,1-*:50ms"  wildcards; the first rule that matches a link wins
// Random draws come from a seeded generator, so a run is reproducible given
// its seed (and the same interleaving of messages).

import { MAX_DELAY_MS } from "./limits.js";
import { seededRandom } from "./random.js";

export interface DelayRule {
  from: number | "*";
  to: number | "*";
  minMs: number;
  maxMs: number;
}

const RULE = /^(?:(\*|\d+)-(\*|\d+):)?(\d+(?:\.\d+)?)(?:\.\.(\d+(?:\.\d+)?))?(ms|s)$/;

/** Parses a --delay spec; with `branches`, every branch a rule names must be one of them. */
export function parseDelaySpec(text: string, branches?: readonly number[]): DelayRule[] {
  const rules: DelayRule[] = [];
  for (const raw of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = RULE.exec(raw);
    if (!m) {
      const hint = /\d$/.test(raw) ? " (a duration needs its unit: ms or s)" : "";
      throw new Error(`--delay: expected rules like 150ms, 20..200ms or 2-1:500ms, found ${JSON.stringify(raw)}${hint}`);
    }
    const unit = m[5] === "s" ? 1000 : 1;
    const minMs = Number(m[3]) * unit;
    const maxMs = m[4] === undefined ? minMs : Number(m[4]) * unit;
    if (maxMs < minMs) throw new Error(`--delay: range ${JSON.stringify(raw)} ends before it starts`);
    if (maxMs > MAX_DELAY_MS) throw new Error(`--delay: ${JSON.stringify(raw)} exceeds the limit of ${MAX_DELAY_MS} ms`);
    const end = (s: string | undefined): number | "*" => {
      if (s === undefined || s === "*") return "*";
      const id = Number(s);
      if (branches && !branches.includes(id)) throw new Error(`--delay: ${JSON.stringify(raw)} names branch ${id}, which is not in this run`);
      return id;
    };
    rules.push({ from: end(m[1]), to: end(m[2]), minMs, maxMs });
  }
  return rules;
}


export function makeDelayFn(spec: string, seed: number): (origin: number, dest: number) => number {
  const rules = parseDelaySpec(spec);
  if (rules.length === 0) return () => 0;
  const random = seededRandom(seed);
  return (origin, dest) => {
    const r = rules.find((x) => (x.from === "*" || x.from === origin) && (x.to === "*" || x.to === dest));
    if (!r) return 0;
    return r.minMs === r.maxMs ? r.minMs : r.minMs + random() * (r.maxMs - r.minMs);
  };
}
