// Every limit bank-sim states, in one place: the scenario parser, the wire
// guard, the servers and the CLI all import their bounds from here, and
// docs/limits.md describes each one. A leaf: it imports nothing.

/** Largest scenario file read, in bytes. */
export const MAX_SCENARIO_BYTES = 16 * 1024 * 1024;
/** Upper bound on branches in a scenario (and on --branches). */
export const MAX_BRANCHES = 2000;
/** Upper bound on customer events in one scenario, over all customers. */
export const MAX_EVENTS = 1_000_000;

/**
 * Largest accepted amount or balance: 10^13 cents (100 billion units). Far below
 * 2^53, so sums of many such amounts stay exact safe integers.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000_000;

/**
 * Most entries a version vector on the wire may have. A vector names each
 * branch at most once, and no cluster has more than MAX_BRANCHES branches; a
 * branch then refuses any entry naming a branch outside its own cluster.
 */
export const MAX_VECTOR_ENTRIES = MAX_BRANCHES;

/** Longest wait an AwaitApplied call may ask for. */
export const MAX_AWAIT_MS = 120_000;
/** Longest session name; the Branch's request-id pattern ("<session>#<n>", n up to 16 digits) allows the same. */
export const MAX_SESSION_CHARS = 200;

/** Largest message a branch's Bank service takes; a larger one gets RESOURCE_EXHAUSTED from grpc-js. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/**
 * Largest WriteBatch a host's Replication service takes. A batch is at most
 * batchMax (256 by default) writes whose deps name at most MAX_BRANCHES (2,000)
 * branches each, about 4 MiB at worst; 64 MiB leaves room for larger batches.
 */
export const MAX_REPLICATION_MESSAGE_BYTES = 64 * 1024 * 1024;
/**
 * Every connection is PINGed after this long, and closed when the PING is not
 * answered in KEEPALIVE_TIMEOUT_MS. Any HTTP/2 client answers by itself; a
 * peer that sent garbage does not, and without this the server would keep
 * its socket open for ever (after a protocol error, Node's HTTP/2 server sends
 * GOAWAY but does not close the connection, even once the peer has half-closed it).
 */
export const KEEPALIVE_MS = 60_000;
export const KEEPALIVE_TIMEOUT_MS = 20_000;

/** Most writes one replication link holds, queued or unacknowledged, before it refuses more. */
export const MAX_LINK_BACKLOG = 1_000_000;

/** Most writes a replica holds waiting for their dependencies or an earlier write of their origin. */
export const MAX_PENDING_WRITES = 1_000_000;
/** Most requests a branch holds at its gate (and barrier waits) at once. */
export const MAX_WAITERS = 100_000;

/** Longest injected propagation delay (--delay). */
export const MAX_DELAY_MS = 60_000;
/** Largest --gate-timeout, in ms. */
export const MAX_GATE_TIMEOUT_MS = 600_000;
/** Largest --workers. */
export const MAX_WORKERS = 64;

/**
 * Longest line of history.jsonl the checker reads, in characters: a real line
 * is under a kilobyte (an apply record of a big batch, megabytes), so a
 * longer one means a file that is no history (/dev/zero), refused before it
 * fills memory.
 */
export const MAX_HISTORY_LINE_CHARS = 64 * 1024 * 1024;

/** Write ids a branch log line names before "and N more" (replica applies, held writes). */
export const LOG_WRITE_IDS_MAX = 8;

/** Entries a served branch keeps in its applied log (Bank.AppliedLog); past it the oldest are dropped, and a reader asking for them is told so. */
export const MAX_APPLIED_LOG = 2_000_000;

/**
 * Largest Lamport clock a request or a replicated write may carry (2^52): far
 * above any run's count of events, and low enough that a branch's clock, which
 * ticks past the largest stamp it has seen, stays an exact safe integer.
 */
export const MAX_CLOCK = 2 ** 52;
