// The report of examples/anomalies/wfr.json in a real browser: WFR with the guarantee off
// (test/helpers/report-page.ts; screenshot test-artifacts/report/wfr-off.png).

import { reportExampleTest } from "../helpers/report-page.js";

reportExampleTest("wfr-off");
