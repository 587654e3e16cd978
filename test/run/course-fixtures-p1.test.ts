// Every P1 course scenario with an expected output and at most 20 branches
// (test/fixtures/course, see SOURCE.md) runs on a real cluster and gives that
// output, every replica converged. The larger P1 ones are in
// course-fixtures-p1-large.test.ts, the P3 ones in course-fixtures-p3.test.ts
// and course-fixtures-p3-branch.test.ts; the refused ones, and the check that
// the index is covered, in course-fixtures.test.ts.

import t from "tap";
import { expectEachOutput, p1Fixtures } from "../helpers/course.js";

expectEachOutput(t, p1Fixtures("small"));
