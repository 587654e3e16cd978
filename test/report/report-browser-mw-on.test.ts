// The report of examples/anomalies/mw.json in a real browser: MW's prevention: the gate hold and replica 3's buffering
// (test/helpers/report-page.ts; screenshot test-artifacts/report/mw-on.png).

import { reportExampleTest } from "../helpers/report-page.js";

reportExampleTest("mw-on");
