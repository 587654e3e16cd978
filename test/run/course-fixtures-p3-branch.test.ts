// Every P3 course scenario in the "branch" format (each event names its branch
// as "branch"; 10 branches and 60 events in the large ones) with an expected
// output gives that output on a real cluster, every replica converged. The
// "dest" format ones are in course-fixtures-p3.test.ts.

import t from "tap";
import { expectEachOutput, p3Fixtures } from "../helpers/course.js";

expectEachOutput(t, p3Fixtures("p3-branch"));
