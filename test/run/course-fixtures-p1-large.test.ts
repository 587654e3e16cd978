// The P1 course scenarios with more than 20 branches (50 and 100 branches, a
// hundred customers each, run one after another) give their expected output on
// a real cluster, every replica converged. They take a good share of tap's time
// limit on a loaded machine, so they have a file of their own.

import t from "tap";
import { expectEachOutput, p1Fixtures } from "../helpers/course.js";

expectEachOutput(t, p1Fixtures("large"));
