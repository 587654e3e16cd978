// Every P3 course scenario with an expected output (test/fixtures/course, see
// SOURCE.md) runs on a real cluster and gives that output, every replica
// converged. The P1 ones are in course-fixtures-p1.test.ts and
// course-fixtures-p1-large.test.ts; the refused ones, and the check that the
// index is covered, in course-fixtures.test.ts.

import t from "tap";
import { expectEachOutput, withExpected } from "../helpers/course.js";

expectEachOutput(t, withExpected("p3"));
