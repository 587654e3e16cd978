// The report of examples/anomalies/mw.json in a real browser: MW with the guarantee off
// (test/helpers/report-page.ts; screenshot test-artifacts/report/mw-off.png).

import { reportExampleTest } from "../helpers/report-page.js";

reportExampleTest("mw-off");
