// Scenario files: parse and validate every input shape the course has used
// (P1 untargeted events, P2 "customer-requests", P3 "dest" and "branch"
// events, "bank"/"client" aliases, missing event ids, keys with stray spaces)
// into a Scenario. Pure: the caller reads the file.
// Every rejection is a ScenarioError saying where, what was expected and what
// was found, so a bad file stops the run before any server starts.

import { ScenarioError, describeFound } from "./fixture-error.js";
import { parseJsonText } from "./fixture-json.js";
import { MAX_BRANCHES, MAX_EVENTS, MAX_SCENARIO_BYTES } from "../core/limits.js";
import { formatMoney, formatMoneyText } from "../core/money.js";
import { parseMoney } from "./amount.js";
import type { CustomerRun, Interface, OutputShape, Scenario, ScenarioEvent } from "./scenario.js";


export interface ParseOptions {
  /** Run on branches 1..N instead of the file's branches (each with the file's balance). */
  branches?: number;
  /** Turn warnings (duplicate event ids) into errors. */
  strict?: boolean;
  maxBytes?: number;
}

const INTERFACES: readonly Interface[] = ["deposit", "withdraw", "query"];
/** Project 2's requests: writes only (its outputs are clocks, not balances). */
const P2_INTERFACES: readonly Interface[] = ["deposit", "withdraw"];
const P2_REQUESTS = "customer-requests";
const P2_REQUEST_ID = "customer-request-id";
const OUTPUT_HINT = "a Project 2 output (it has \"logical_clock\"), not a scenario; `bank-sim grade-p2` checks such files with the course's rules";
const TYPE_EXPECTED = `"branch" (or "bank") or "customer" (or "client")`;
const MAX_WARNINGS = 100;
const MAX_PATHS_IN_WARNING = 5;

interface BranchDecl {
  id: number;
  balanceCents: number;
  path: string;
}
interface RawTarget {
  key: "dest" | "branch";
  id: number;
}
interface RawCustomer {
  run: CustomerRun;
  targets: (RawTarget | undefined)[];
}

/** Checks a --branches value: an integer from 1 to MAX_BRANCHES. */
export function validateBranchCount(value: unknown, source = "--branches"): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_BRANCHES) return value;
  throw new ScenarioError({ source, path: "", expected: `an integer from 1 to ${MAX_BRANCHES}`, found: describeFound(value) });
}

/** Makes the error for `path`: what was expected there, what was found. */
type Refuse = (path: string, expected: string, found: string) => ScenarioError;

export function parseScenario(text: string, source: string, options: ParseOptions = {}): Scenario {
  const branchCount = options.branches === undefined ? undefined : validateBranchCount(options.branches);
  const err: Refuse = (path, expected, found) => new ScenarioError({ source, path, expected, found });
  const doc = parseTopArray(text, source, options.maxBytes ?? MAX_SCENARIO_BYTES, err);
  const objects = new ObjectReader(source, options.strict ?? false, err);
  doc.forEach((item: unknown, index) => objects.read(item, index));
  const first = commonStartingBalance(objects.branches, err);
  const branchIds = runBranchIds(objects.branches, branchCount);
  assignBranches(objects.customers, branchIds, branchCount, err);
  refuseInexactTotals(first.balanceCents, objects.customers.map((c) => c.run), err);
  return {
    source,
    branches: branchIds,
    initialBalanceCents: first.balanceCents,
    customers: objects.customers.map((c) => c.run),
    shape: objects.shape(),
    warnings: [...objects.keyWarnings, ...duplicateWarnings(source, objects.eventIds)],
  };
}

/** The file's top-level JSON array, after the size bound, the BOM and the empty file. */
function parseTopArray(text: string, source: string, maxBytes: number, err: Refuse): unknown[] {
  // Cheap bound first (UTF-16 units ≤ UTF-8 bytes ≤ 3 × units), exact count only near the limit.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes)) {
    throw err("", `a file of at most ${maxBytes} bytes`, `${Buffer.byteLength(text, "utf8")} bytes`);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const arrayExpected = "a JSON array of branch and customer objects";
  if (body.trim() === "") throw err("", arrayExpected, "an empty file");
  const doc = parseJsonText(body, source);
  if (!Array.isArray(doc)) throw err("", arrayExpected, describeFound(doc));
  return doc;
}

/**
 * Reads the file's objects in order, keeping what the checks after them need:
 * the branches, the customers with their events' targets, the explicit event
 * ids (for the duplicate warnings) and the targeting style.
 */
class ObjectReader {
  readonly branches = new Map<number, BranchDecl>();
  readonly customers: RawCustomer[] = [];
  /** Customer → explicit event id → paths. */
  readonly eventIds = new Map<number, Map<number, string[]>>();
  /** Events seen so far per customer id. */
  private readonly sessionLength = new Map<number, number>();
  /** Keys with stray spaces that were read as their trimmed selves (a warning; --strict refuses them). */
  readonly keyWarnings: string[] = [];
  private firstDest: string | undefined;
  private firstBranch: string | undefined;
  /** Where the first customer with "customer-requests" (Project 2) and with "events" are: one format per file. */
  private firstRequests: string | undefined;
  private firstEvents: string | undefined;
  private totalEvents = 0;

  constructor(
    private readonly source: string,
    private readonly strict: boolean,
    private readonly err: Refuse,
  ) {}

  read(item: unknown, index: number): void {
    const at = `[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw this.bad(at, `an object with "type" ${TYPE_EXPECTED}`, item);
    const obj = this.keys(item as Record<string, unknown>, at);
    if (looksLikeP2Output(obj)) throw this.err(at, "a branch or customer object", OUTPUT_HINT);
    const type = obj["type"];
    if (type === "branch" || type === "bank") this.branch(obj, at);
    else if (type === "customer" || type === "client") this.customer(obj, at, index);
    else throw this.bad(`${at}.type`, TYPE_EXPECTED, type);
  }

  /** The output shape the file's targeting style asks for. */
  shape(): OutputShape {
    if (this.firstRequests !== undefined) return "p2";
    return this.firstBranch !== undefined ? "branch" : this.firstDest !== undefined ? "dest" : "recv";
  }

  /**
   * The object with every key trimmed: real course files have keys with
   * stray spaces (the P2 spec's own example). Each such key is a warning
   * naming it (an error with --strict); a key that trims to another key of
   * the same object is an error.
   */
  private keys(obj: Record<string, unknown>, at: string): Record<string, unknown> {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(obj)) {
      const trimmed = key.trim();
      if (trimmed === key) continue;
      if (this.strict) throw this.err(at, `keys without stray spaces (a warning without --strict)`, `the key ${JSON.stringify(key)}`);
      out ??= { ...obj };
      if (Object.prototype.hasOwnProperty.call(out, trimmed)) {
        throw this.err(at, `each key once`, `${JSON.stringify(trimmed)} and ${JSON.stringify(key)}`);
      }
      out[trimmed] = obj[key];
      delete out[key];
      if (this.keyWarnings.length < MAX_WARNINGS) {
        this.keyWarnings.push(`${this.source}: ${at}: the key ${JSON.stringify(key)} has stray spaces; read as ${JSON.stringify(trimmed)} (--strict makes this an error)`);
      }
    }
    return out ?? obj;
  }

  private branch(obj: Record<string, unknown>, at: string): void {
    const id = this.positiveId(obj["id"], `${at}.id`);
    const balanceCents = parseMoney(obj["balance"], `${at}.balance`, this.source);
    const earlier = this.branches.get(id);
    if (earlier) throw this.err(`${at}.id`, `a branch id not used before`, `${id} (also at ${earlier.path})`);
    if (this.branches.size >= MAX_BRANCHES) throw this.err(at, `at most ${MAX_BRANCHES} branches`, "more");
    this.branches.set(id, { id, balanceCents, path: at });
  }

  private customer(obj: Record<string, unknown>, at: string, index: number): void {
    const customerId = this.positiveId(obj["id"], `${at}.id`);
    const p2 = this.format(obj, at);
    const listKey = p2 ? P2_REQUESTS : "events";
    const rawEvents = obj[listKey];
    if (!Array.isArray(rawEvents)) throw this.bad(`${at}.${listKey}`, p2 ? "an array of customer requests" : `an array of events (or Project 2's "${P2_REQUESTS}")`, rawEvents);
    const ids = this.eventIds.get(customerId) ?? new Map<number, string[]>();
    this.eventIds.set(customerId, ids);
    let position = this.sessionLength.get(customerId) ?? 0;
    const events: ScenarioEvent[] = [];
    const targets: (RawTarget | undefined)[] = [];
    rawEvents.forEach((rawEvent: unknown, j) => {
      const path = `${at}.${listKey}[${j}]`;
      const { event, target } = p2 ? this.request(rawEvent, path, customerId, ids, ++position) : this.event(rawEvent, path, customerId, ids, ++position);
      events.push(event);
      targets.push(target);
    });
    this.sessionLength.set(customerId, position);
    this.customers.push({ run: { customerId, objectIndex: index, events }, targets });
  }

  /**
   * Whether this customer uses Project 2's "customer-requests" (else
   * "events"); a customer with both, or a file that mixes the two, is refused.
   */
  private format(obj: Record<string, unknown>, at: string): boolean {
    const hasRequests = obj[P2_REQUESTS] !== undefined;
    if (hasRequests && obj["events"] !== undefined) throw this.err(at, `one of "events" or "${P2_REQUESTS}"`, "both");
    if (hasRequests) this.firstRequests ??= `${at}.${P2_REQUESTS}`;
    else this.firstEvents ??= `${at}.events`;
    if (this.firstRequests !== undefined && this.firstEvents !== undefined) {
      const [key, like] = hasRequests ? [P2_REQUESTS, this.firstEvents] : ["events", this.firstRequests];
      throw this.err(`${at}.${key}`, `customers in one format per file, like ${like}`, `"${key}"`);
    }
    return hasRequests;
  }

  /**
   * A Project 2 request: {"customer-request-id", "interface", "money"}; no
   * target branch (customer i uses branch i), no query. Its id is the
   * customer-request-id (its position when the file gives none).
   */
  private request(raw: unknown, path: string, customerId: number, ids: Map<number, string[]>, position: number): { event: ScenarioEvent; target: undefined } {
    const ev = this.eventObject(raw, path, "a customer request object");
    const iface = ev["interface"];
    if (!P2_INTERFACES.includes(iface as Interface)) throw this.bad(`${path}.interface`, `"deposit" or "withdraw" (Project 2's requests)`, iface);
    if (ev["dest"] !== undefined || ev["branch"] !== undefined) {
      throw this.err(`${path}.${ev["dest"] !== undefined ? "dest" : "branch"}`, "no target branch in a Project 2 request (customer i uses branch i)", "one");
    }
    const kind = iface as Interface;
    const rawId = ev[P2_REQUEST_ID];
    const id = rawId === undefined ? position : this.eventId(rawId, path, customerId, ids, P2_REQUEST_ID);
    const amountCents = parseMoney(ev["money"], `${path}.money`, this.source);
    return { event: { id, interface: kind, amountCents, branch: 0, path }, target: undefined };
  }

  /** A list item that must be an object, with its keys trimmed; counts towards the bound on events. */
  private eventObject(raw: unknown, path: string, what: string): Record<string, unknown> {
    if (++this.totalEvents > MAX_EVENTS) throw this.err(path, `at most ${MAX_EVENTS} events in total`, "more");
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw this.bad(path, what, raw);
    const ev = this.keys(raw as Record<string, unknown>, path);
    if (ev["logical_clock"] !== undefined) throw this.err(path, what, OUTPUT_HINT);
    return ev;
  }

  /** `position`: the event's 1-based position in the customer's session, its id when the file gives none. */
  private event(raw: unknown, path: string, customerId: number, ids: Map<number, string[]>, position: number): { event: ScenarioEvent; target: RawTarget | undefined } {
    const ev = this.eventObject(raw, path, "an event object");
    const iface = ev["interface"];
    if (!INTERFACES.includes(iface as Interface)) throw this.bad(`${path}.interface`, `"deposit", "withdraw" or "query"`, iface);
    const kind = iface as Interface;
    const id = ev["id"] === undefined ? position : this.eventId(ev["id"], path, customerId, ids);
    // Queries carry "money" in old course files (often the starting balance): ignored, even if malformed.
    const amountCents = kind === "query" ? 0 : parseMoney(ev["money"], `${path}.money`, this.source);
    const target = this.target(ev, path);
    return { event: { id, interface: kind, amountCents, branch: 0, path }, target };
  }

  /** An explicit event id; one the customer already used is an error with --strict, else a warning (the paths are kept). */
  private eventId(value: unknown, path: string, customerId: number, ids: Map<number, string[]>, key = "id"): number {
    const id = this.positiveId(value, `${path}.${key}`);
    const seen = ids.get(id);
    if (seen === undefined) ids.set(id, [path]);
    else {
      if (this.strict) {
        throw this.err(`${path}.${key}`, `an event id not already used by customer ${customerId}`, `${id} (also at ${seen[0]}; a warning without --strict)`);
      }
      seen.push(path);
    }
    return id;
  }

  /** The event's "dest" or "branch", if any: one of them, and one targeting style per file. */
  private target(ev: Record<string, unknown>, path: string): RawTarget | undefined {
    const hasDest = ev["dest"] !== undefined;
    const hasBranch = ev["branch"] !== undefined;
    if (hasDest && hasBranch) throw this.err(path, `one of "dest" or "branch"`, "both");
    if (!hasDest && !hasBranch) return undefined;
    const key = hasDest ? "dest" : "branch";
    const target: RawTarget = { key, id: this.positiveId(ev[key], `${path}.${key}`, "a positive integer branch id") };
    if (hasDest) this.firstDest ??= `${path}.dest`;
    else this.firstBranch ??= `${path}.branch`;
    if (this.firstDest !== undefined && this.firstBranch !== undefined) {
      const first = hasDest ? this.firstBranch : this.firstDest;
      throw this.err(`${path}.${key}`, `"${hasDest ? "branch" : "dest"}" like ${first} (one targeting style per file)`, `"${key}"`);
    }
    return target;
  }

  private positiveId(value: unknown, path: string, what = "a positive integer"): number {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
    throw this.bad(path, what, value);
  }

  private bad(path: string, expected: string, value: unknown): ScenarioError {
    return this.err(path, expected, describeFound(value));
  }
}

/** An event of a Project 2 output, or a group of them: what the course's graders read, not a scenario. */
function looksLikeP2Output(obj: Record<string, unknown>): boolean {
  if (obj["logical_clock"] !== undefined) return true;
  const events = obj["events"];
  return Array.isArray(events) && events.some((e) => typeof e === "object" && e !== null && "logical_clock" in e);
}

/** The first branch in file order, once every branch is known to start with its balance. */
function commonStartingBalance(branches: Map<number, BranchDecl>, err: Refuse): BranchDecl {
  const inFileOrder = [...branches.values()];
  const first = inFileOrder[0];
  if (first === undefined) throw err("", `at least one object with "type": "branch"`, "none");
  for (const b of inFileOrder) {
    if (b.balanceCents !== first.balanceCents) {
      throw err(
        `${b.path}.balance`,
        `the same starting balance at every branch (branch ${first.id} at ${first.path} has ${formatMoney(first.balanceCents)})`,
        `${formatMoney(b.balanceCents)} at branch ${b.id}`,
      );
    }
  }
  return first;
}

/** The branches the run uses: the file's, ascending, or 1..N with --branches N. */
function runBranchIds(branches: Map<number, BranchDecl>, branchCount: number | undefined): number[] {
  const decls = [...branches.values()].sort((a, b) => a.id - b.id);
  return branchCount === undefined ? decls.map((b) => b.id) : Array.from({ length: branchCount }, (_, k) => k + 1);
}

/** Sends each event to its "dest" or "branch", else to the branch whose id is the customer's; each must exist. */
function assignBranches(customers: readonly RawCustomer[], branchIds: number[], branchCount: number | undefined, err: Refuse): void {
  const known = new Set(branchIds);
  const idsText = `${branchCount === undefined ? "" : `--branches ${branchCount}: `}${formatIdRanges(branchIds)}`;
  for (const { run, targets } of customers) {
    run.events.forEach((event, j) => {
      const target = targets[j];
      const id = target?.id ?? run.customerId;
      if (known.has(id)) event.branch = id;
      else if (target) throw err(`${event.path}.${target.key}`, `an existing branch id (${idsText})`, String(id));
      else {
        throw err(event.path, `"dest", "branch", or a branch whose id is the customer's (${id})`, `none of these (branches: ${idsText})`);
      }
    });
  }
}

/**
 * A balance is exact only up to 2^53 cents. Whatever order the deposits and
 * withdrawals run in, no balance exceeds the starting balance plus every
 * deposit, so a scenario whose total stays below that can never round; one
 * that passes it is refused, naming the deposit that takes it over.
 */
function refuseInexactTotals(initialCents: number, runs: readonly CustomerRun[], err: Refuse): void {
  let total = initialCents;
  for (const run of runs) {
    for (const e of run.events) {
      if (e.interface !== "deposit") continue;
      total += e.amountCents;
      if (total > Number.MAX_SAFE_INTEGER) {
        throw err(`${e.path}.money`, `deposits that keep the starting balance plus all deposits at most ${formatMoneyText(Number.MAX_SAFE_INTEGER)} (2^53 - 1 cents, the most a balance holds exactly)`, "a deposit that takes the total past it");
      }
    }
  }
}

function duplicateWarnings(source: string, eventIds: Map<number, Map<number, string[]>>): string[] {
  const warnings: string[] = [];
  let more = 0;
  for (const [customerId, ids] of eventIds) {
    for (const [id, paths] of ids) {
      if (paths.length < 2) continue;
      if (warnings.length >= MAX_WARNINGS) {
        more++;
        continue;
      }
      const shown = paths.slice(0, MAX_PATHS_IN_WARNING).join(", ");
      const rest = paths.length > MAX_PATHS_IN_WARNING ? `, and ${paths.length - MAX_PATHS_IN_WARNING} more` : "";
      warnings.push(`${source}: customer ${customerId} uses event id ${id} ${paths.length === 2 ? "twice" : `${paths.length} times`} (${shown}${rest}); running anyway (--strict makes this an error)`);
    }
  }
  if (more > 0) warnings.push(`${source}: ${more} more duplicate event ids not listed`);
  return warnings;
}

/** Sorted ids as runs: [1,2,3,7] → "1..3, 7"; long lists are cut short. */
export function formatIdRanges(ids: readonly number[], maxRuns = 8): string {
  const runs: string[] = [];
  for (let k = 0; k < ids.length; ) {
    let end = k;
    while (end + 1 < ids.length && ids[end + 1] === (ids[end] ?? 0) + 1) end++;
    if (runs.length === maxRuns) return `${runs.join(", ")}, …`;
    runs.push(end === k ? `${ids[k]}` : `${ids[k]}..${ids[end]}`);
    k = end + 1;
  }
  return runs.join(", ");
}
