// A branch restarted after a crash catches up: it sends its own recovered
// writes again (the crash may have come before they left) and fetches from
// every other branch the writes that branch issued and this one lacks (they
// reached this host while the branch was down). Both are idempotent.

import { sendSecret } from "../wire/auth.js";
import { channelCredentials, type TlsMaterial } from "../wire/tls.js";
import type { Branch } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { writeFromWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

/** Attempts per peer; a peer that is down resends its own writes anyway when it restarts. */
const ATTEMPTS_MAX = 5;
const OWN_WRITES_DEADLINE_MS = 10_000;

export async function catchUp(
  branch: Branch,
  recovered: readonly Write[],
  peers: ReadonlyArray<readonly [number, string]>,
  auth: { secret: string; tls?: TlsMaterial | undefined },
  broadcast: (w: Write) => void,
  log: (line: string) => void,
): Promise<void> {
  const own = recovered.filter((w) => w.id.branch === branch.id);
  for (const w of own) broadcast(w);
  const applied = branch.state().applied;
  let fetched = 0;
  await Promise.all(peers.map(async ([peer, address]) => {
    const client = new pb.BankClient(address, channelCredentials(auth.tls), sendSecret(auth.secret));
    try {
      for (let attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
        try {
          const writes = await ownWrites(client, applied.get(peer) ?? 0);
          fetched += writes.length;
          await branch.receive(writes);
          return;
        } catch (err) {
          if (attempt === ATTEMPTS_MAX) log(`catch-up from branch ${peer} gave up: ${(err as Error).message}`);
          else await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } finally {
      client.close();
    }
  }));
  log(`caught up: resent ${own.length} own writes, fetched ${fetched} from ${peers.length} peers`);
}

/** The writes a peer issued after `afterSeq`, from its OwnWrites stream (malformed ones dropped). */
function ownWrites(client: banksim.v1.BankClient, afterSeq: number): Promise<Write[]> {
  return new Promise((resolve, reject) => {
    const out: Write[] = [];
    const call = client.OwnWrites(new pb.OwnWritesRequest({ afterSeq }), { deadline: Date.now() + OWN_WRITES_DEADLINE_MS });
    call.on("data", (m: banksim.v1.Write) => {
      const w = writeFromWire(m);
      if (typeof w !== "string") out.push(w);
    });
    call.on("error", reject);
    call.on("end", () => resolve(out));
  });
}
