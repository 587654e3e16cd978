// The course's rules for Project 2's outputs, counted per event as the
// course's grader scripts (ychen404/CSE531_Grading, Nov 2023) count them, so
// a student can check any of the three parts (bank-sim's or their own) with
// `bank-sim grade-p2 FILE` and get the grader's verdict. The part is told by
// its shape:
//   customers: [{"id","type":"customer","events":[...]}] — each customer's
//     clocks strictly increase, in list order;
//   branches: [{"id","type":"branch","events":[...]}] — each branch's clocks
//     strictly increase, in list order;
//   all events: [{"id","customer-request-id","type","logical_clock",...}] —
//     taken in clock order (ties in list order), per request: the clocks of
//     the events with one "id" never decrease (the grader keys by id alone,
//     so customer C and branch C share a key), and no customer or receipt
//     event comes after one of the request's propagations.
// Beside the count, Lamport's rules proper, which the graders do not count
// (`lamport`): in the branches' part, a branch's propagation sends of a
// request come after its receipt of it; in the all-events part, every
// receipt is later than its send ("event_recv from customer C" than C's
// "event_sent", "event_recv from branch B" than B's "event_sent to").
// Both spellings of a propagation ("propogate_", as the course's example has
// it, and "propagate_") are accepted. Pure: the caller reads the file.

import { ScenarioError, describeFound } from "./fixture-error.js";

export type P2Part = "customers" | "branches" | "all";

export interface P2Grade {
  part: P2Part;
  correct: number;
  total: number;
  /** One line per event that breaks a rule the grader counts. */
  errors: string[];
  /** One line per event that breaks Lamport's rules beyond what the grader counts. */
  lamport: string[];
}

interface Ev {
  id: number;
  request: number;
  type: string;
  clock: number;
  iface: string;
  comment: string;
  path: string;
}

const isPropagation = (iface: string) => /^prop[ao]gate_/.test(iface);

/** Grades a parsed Project 2 output; a value that is none of the three parts is a ScenarioError naming the place. */
export function gradeP2(doc: unknown, source: string): P2Grade {
  const bad = (path: string, expected: string, value: unknown) => new ScenarioError({ source, path, expected, found: describeFound(value) });
  if (!Array.isArray(doc) || doc.length === 0) throw bad("", "a non-empty JSON array: one of Project 2's three output parts", doc);
  const first = doc[0] as Record<string, unknown> | null;
  if (typeof first !== "object" || first === null) throw bad("[0]", "an object", first);
  if (Array.isArray(first["events"])) {
    const part: P2Part = first["type"] === "branch" ? "branches" : "customers";
    const groups = doc.map((g: unknown, i) => group(g, `[${i}]`, part === "branches" ? "branch" : "customer", bad));
    return part === "branches" ? gradeBranches(groups) : gradeCustomers(groups);
  }
  return gradeAll(doc.map((e: unknown, i) => event(e, `[${i}]`, undefined, bad)));
}

type Bad = (path: string, expected: string, value: unknown) => ScenarioError;

function group(g: unknown, path: string, type: string, bad: Bad): { id: number; events: Ev[] } {
  if (typeof g !== "object" || g === null || Array.isArray(g)) throw bad(path, `an object {"id","type":"${type}","events":[...]}`, g);
  const o = g as Record<string, unknown>;
  if (o["type"] !== type) throw bad(`${path}.type`, `"${type}" (like [0])`, o["type"]);
  const id = int(o["id"], `${path}.id`, bad);
  if (!Array.isArray(o["events"])) throw bad(`${path}.events`, "an array of events", o["events"]);
  return { id, events: o["events"].map((e: unknown, j) => event(e, `${path}.events[${j}]`, { id, type }, bad)) };
}

function event(e: unknown, path: string, owner: { id: number; type: string } | undefined, bad: Bad): Ev {
  if (typeof e !== "object" || e === null || Array.isArray(e)) throw bad(path, "an event object", e);
  const o = e as Record<string, unknown>;
  const type = owner?.type ?? o["type"];
  if (type !== "customer" && type !== "branch") throw bad(`${path}.type`, `"customer" or "branch"`, type);
  const str = (key: string) => {
    if (typeof o[key] !== "string") throw bad(`${path}.${key}`, "a string", o[key]);
    return o[key] as string;
  };
  return {
    id: owner?.id ?? int(o["id"], `${path}.id`, bad),
    request: int(o["customer-request-id"], `${path}.customer-request-id`, bad),
    type,
    clock: int(o["logical_clock"], `${path}.logical_clock`, bad, 0),
    iface: str("interface"),
    comment: str("comment"),
    path,
  };
}

function int(v: unknown, path: string, bad: Bad, min = 1): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= min) return v;
  throw bad(path, min === 0 ? "a whole number ≥ 0" : "a positive whole number", v);
}

function gradeCustomers(groups: Array<{ id: number; events: Ev[] }>): P2Grade {
  const g: P2Grade = { part: "customers", correct: 0, total: 0, errors: [], lamport: [] };
  for (const c of groups) {
    let last = 0;
    for (const e of c.events) {
      g.total++;
      if (e.clock > last) g.correct++;
      else g.errors.push(`${e.path}: customer ${c.id}'s request ${e.request} has clock ${e.clock}, not above its previous event's ${last}`);
      last = Math.max(last, e.clock);
    }
  }
  return g;
}

function gradeBranches(groups: Array<{ id: number; events: Ev[] }>): P2Grade {
  const g: P2Grade = { part: "branches", correct: 0, total: 0, errors: [], lamport: [] };
  for (const b of groups) {
    let last = -1;
    const receipts = new Map<number, number>();
    for (const e of b.events) if (!isPropagation(e.iface) && e.comment.startsWith("event_recv")) receipts.set(e.request, e.clock);
    for (const e of b.events) {
      g.total++;
      const receipt = receipts.get(e.request);
      if (e.clock <= last) g.errors.push(`${e.path}: branch ${b.id}'s event has clock ${e.clock}, not above its previous event's ${last}`);
      else g.correct++;
      if (isPropagation(e.iface) && e.comment.startsWith("event_sent") && receipt !== undefined && e.clock <= receipt) {
        g.lamport.push(`${e.path}: branch ${b.id} propagates request ${e.request} at clock ${e.clock}, not after its receipt of it at ${receipt}`);
      }
      last = e.clock;
    }
  }
  return g;
}

function gradeAll(events: Ev[]): P2Grade {
  const g: P2Grade = { part: "all", correct: 0, total: 0, errors: [], lamport: [] };
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.clock - b.e.clock || a.i - b.i).map((x) => x.e);
  const sends = new Map<string, number>();
  for (const e of events) {
    const key = sendKey(e);
    if (key !== undefined) sends.set(key, Math.min(sends.get(key) ?? Infinity, e.clock));
  }
  const last = new Map<string, number>();
  const firstPropagation = new Map<number, number>();
  for (const e of sorted) {
    g.total++;
    const problem = allProblem(e, last, firstPropagation);
    if (problem === undefined) g.correct++;
    else g.errors.push(`${e.path}: ${problem}`);
    const lamport = receiptProblem(e, sends);
    if (lamport !== undefined) g.lamport.push(`${e.path}: ${lamport}`);
  }
  return g;
}

function allProblem(e: Ev, last: Map<string, number>, latestPropagation: Map<number, number>): string | undefined {
  const key = `${e.request}:${e.id}`;
  const before = last.get(key) ?? 0;
  last.set(key, e.clock);
  if (e.clock < before) return `request ${e.request}: ${e.type} ${e.id}'s event has clock ${e.clock}, below the previous one of id ${e.id} (${before})`;
  if (isPropagation(e.iface)) latestPropagation.set(e.request, e.clock);
  else {
    const p = latestPropagation.get(e.request);
    if (p !== undefined && e.clock > p) return `request ${e.request}: ${e.type} ${e.id}'s ${e.iface} at clock ${e.clock} comes after its propagation at ${p}`;
  }
  return undefined;
}

function receiptProblem(e: Ev, sends: Map<string, number>): string | undefined {
  const from = receiptOf(e);
  if (from !== undefined) {
    const sent = sends.get(from);
    if (sent === undefined) return `request ${e.request}: ${e.type} ${e.id} records "${e.comment}" but no such send is listed`;
    if (e.clock <= sent) return `request ${e.request}: ${e.type} ${e.id}'s receipt at clock ${e.clock} is not above its send at ${sent}`;
  }
  return undefined;
}

/** For a send: request, sender, receiver. */
function sendKey(e: Ev): string | undefined {
  if (e.type === "customer" && /^event_sent from customer/.test(e.comment)) return `${e.request}:customer ${e.id}`;
  const m = /^event_sent to branch (\d+)/.exec(e.comment);
  return m ? `${e.request}:branch ${e.id}:branch ${m[1]}` : undefined;
}

/** For a receipt: the key of the send it receives. */
function receiptOf(e: Ev): string | undefined {
  if (e.type !== "branch") return undefined;
  const c = /^event_recv from customer (\d+)/.exec(e.comment);
  if (c) return `${e.request}:customer ${c[1]}`;
  const b = /^event_recv from branch (\d+)/.exec(e.comment);
  return b ? `${e.request}:branch ${b[1]}:branch ${e.id}` : undefined;
}
