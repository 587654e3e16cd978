// The one place a run makes its customers' sessions: one Session per customer
// id for the whole run (a customer id that appears again in the file
// continues its session), all with the run's guarantees and retry policy, and
// each with its own stream of the run's seed for its retry jitter.

import { guaranteesToBits } from "../core/gate.js";
import { seededRandom, streamSeed } from "../core/random.js";
import type { BranchClients } from "../driver/branch-clients.js";
import { Session, type RequestSizes } from "../driver/customer.js";
import type { HistoryWriter } from "../history/writer.js";
import type { RunConfig } from "./run-config.js";

export function customerSessions(cfg: RunConfig, clients: BranchClients, history: HistoryWriter, sizes: RequestSizes): (customerId: number) => Session {
  const sessions = new Map<number, Session>();
  const bits = guaranteesToBits(cfg.guarantees);
  // An attempt's deadline outlasts the branch's gate timeout, so a held request is answered, not cut off.
  const retry = { attemptsMax: cfg.attemptsMax, backoffMsMin: cfg.backoffMsMin, backoffMsMax: cfg.backoffMsMax, callTimeoutMs: cfg.gateTimeoutMs + 5_000 };
  return (id) => {
    let s = sessions.get(id);
    if (!s) sessions.set(id, (s = new Session(`c${id}`, bits, clients, retry, history, seededRandom(streamSeed(cfg.seed, id)), sizes)));
    return s;
  };
}
