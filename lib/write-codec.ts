// Conversions between the ledger's Write and its protobuf form.

import type { Write } from "./ledger.js";
import { fromWire, toWire } from "./version-vector.js";
import { pb } from "./wire.js";

export type PbWrite = InstanceType<typeof pb.Write>;

export function writeToWire(w: Write): PbWrite {
  return new pb.Write({
    id: new pb.WriteId({ branch: w.id.branch, seq: w.id.seq }),
    interface: w.kind === "deposit" ? pb.Interface.DEPOSIT : pb.Interface.WITHDRAW,
    amountCents: w.amountCents,
    deps: toWire(w.deps),
    acceptedAtMs: w.acceptedAtMs,
  });
}

/** Returns undefined for a write no honest peer sends (no id, unknown kind, bad amount). */
export function writeFromWire(m: PbWrite): Write | undefined {
  const id = m.id;
  if (!id || id.branch < 1 || id.seq < 1) return undefined;
  if (m.interface !== pb.Interface.DEPOSIT && m.interface !== pb.Interface.WITHDRAW) return undefined;
  if (!Number.isSafeInteger(m.amountCents) || m.amountCents < 0) return undefined;
  return {
    id: { branch: id.branch, seq: id.seq },
    kind: m.interface === pb.Interface.DEPOSIT ? "deposit" : "withdraw",
    amountCents: m.amountCents,
    deps: fromWire(m.deps),
    acceptedAtMs: m.acceptedAtMs,
  };
}
