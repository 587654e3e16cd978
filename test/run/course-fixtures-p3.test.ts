// Every P3 course scenario in the "dest" format (each event names its branch
// as "dest") with an expected output (test/fixtures/course, see SOURCE.md)
// runs on a real cluster and gives that output, every replica converged. The
// "branch" format ones are in course-fixtures-p3-branch.test.ts, the P1 ones
// in course-fixtures-p1.test.ts and course-fixtures-p1-large.test.ts; the
// refused ones, and the check that the index is covered, in
// course-fixtures.test.ts.

import t from "tap";
import { expectEachOutput, p3Fixtures } from "../helpers/course.js";

expectEachOutput(t, p3Fixtures("p3-dest"));
