import t from "tap";
import { ALL_GUARANTEES, gateNeed, guaranteesToBits, parseGuarantees } from "../../lib/core/gate.js";

const ws = new Map([[1, 3]]);
const rs = new Map([[2, 5]]);
const need = (kind: "deposit" | "withdraw" | "query", g: string) => {
  const n = gateNeed(kind, guaranteesToBits(parseGuarantees(g)), ws, rs);
  return { required: Object.fromEntries(n.required), deps: Object.fromEntries(n.deps), reasons: n.reasons };
};

t.test("Read Your Writes holds a query until the session's writes are here", async (t) => {
  t.same(need("query", "ryw"), { required: { 1: 3 }, deps: {}, reasons: ["ryw"] });
});

t.test("Monotonic Reads holds a query until what the session read is here", async (t) => {
  t.same(need("query", "mr"), { required: { 2: 5 }, deps: {}, reasons: ["mr"] });
});

t.test("Monotonic Writes holds a deposit and makes it depend on the session's writes", async (t) => {
  t.same(need("deposit", "mw"), { required: { 1: 3 }, deps: { 1: 3 }, reasons: ["mw"] });
});

t.test("Writes Follow Reads makes a write depend on what the session read", async (t) => {
  t.same(need("deposit", "wfr"), { required: { 2: 5 }, deps: { 2: 5 }, reasons: ["wfr"] });
});

t.test("a withdraw is held to the read rules and the write rules", async (t) => {
  t.same(need("withdraw", "all"), { required: { 1: 3, 2: 5 }, deps: { 1: 3, 2: 5 }, reasons: ["mw", "wfr", "ryw", "mr"] });
  t.same(need("withdraw", "ryw"), { required: { 1: 3 }, deps: {}, reasons: ["ryw"] });
});

t.test("with no guarantees nothing is required", async (t) => {
  for (const k of ["deposit", "withdraw", "query"] as const) t.same(need(k, "none"), { required: {}, deps: {}, reasons: [] });
  t.same(need("deposit", "ryw,mr"), { required: {}, deps: {}, reasons: [] }, "read rules do not hold a deposit");
});

t.test("--guarantees accepts all, none and lists, and names a bad entry", async (t) => {
  t.same(parseGuarantees("all"), ALL_GUARANTEES);
  t.same(parseGuarantees("none"), []);
  t.same(parseGuarantees("RYW, mw"), ["mw", "ryw"]);
  t.throws(() => parseGuarantees("mw,causal"), { message: '--guarantees: expected all, none or a list of mw,ryw,mr,wfr, found "causal"' });
});
