// Every limit bank-sim states, in one place, for docs/limits.md and for tests.
// The constants live (and are enforced) next to the code that checks them;
// this module only re-exports them. Two bounds are still literals in
// run-config.ts (--gate-timeout, --workers); they are restated here and
// test/hostile-input.test.ts holds the two copies equal.

export { DEFAULT_MAX_FIXTURE_BYTES as MAX_SCENARIO_BYTES, MAX_BRANCHES, MAX_EVENTS } from "./fixture.js";
export { MAX_AMOUNT_CENTS } from "./money.js";
export { KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, MAX_REPLICATION_MESSAGE_BYTES, MAX_REQUEST_BYTES } from "./bind.js";
export { MAX_VECTOR_ENTRIES } from "./write-codec.js";
export { MAX_AWAIT_MS, MAX_SESSION_CHARS } from "./branch-server.js";
export { MAX_DELAY_MS } from "./delay.js";
export { MAX_GATE_TIMEOUT_MS, MAX_WORKERS } from "./run-config.js";
