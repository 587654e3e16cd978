// The one place a run makes customer sessions: one per customer id.

import t from "tap";
import { join } from "node:path";
import { BranchClients } from "../../lib/driver/branch-clients.js";
import { HistoryWriter } from "../../lib/history/writer.js";
import { CustomerTally } from "../../lib/run/drive.js";
import { resolveRunConfig } from "../../lib/run/run-config.js";
import { customerSessions } from "../../lib/run/sessions.js";

t.test("a customer id gets one session for the whole run, named after the customer", async (t) => {
  const history = new HistoryWriter(join(t.testdir({}), "history.jsonl"));
  t.teardown(() => history.close());
  const clients = new BranchClients(new Map(), "sessions-test-secret");
  t.teardown(() => clients.close());
  const sessionOf = customerSessions(resolveRunConfig({}, [1, 2]), clients, history, new CustomerTally().sizes);
  const first = sessionOf(3);
  t.equal(first.name, "c3");
  t.equal(sessionOf(3), first, "the same id continues its session");
  t.not(sessionOf(4), first);
  t.equal(sessionOf(4).name, "c4");
});
