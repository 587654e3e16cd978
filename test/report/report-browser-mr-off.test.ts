// The report of examples/anomalies/mr.json in a real browser: MR with the guarantee off
// (test/helpers/report-page.ts; screenshot test-artifacts/report/mr-off.png).

import { reportExampleTest } from "../helpers/report-page.js";

reportExampleTest("mr-off");
