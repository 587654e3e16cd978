// WFR end to end on a real cluster: off, the anomaly happens, certainly (see
// test/helpers/guarantees.ts for why); on, it does not, and the gate visibly
// waits; with a gate broken for WFR, the checker catches it.

import t from "tap";
import { CASES, guaranteeTests } from "../helpers/guarantees.js";

guaranteeTests(t, CASES.wfr);
