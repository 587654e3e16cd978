// The report of examples/anomalies/ryw.json in a real browser: RYW with the guarantee off
// (test/helpers/report-page.ts; screenshot test-artifacts/report/ryw-off.png).

import { reportExampleTest } from "../helpers/report-page.js";

reportExampleTest("ryw-off");
