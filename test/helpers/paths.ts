// Paths the tests share. Tests run compiled, from dist/test/, so the project
// root is two levels up from here (dist/test/helpers → three).

import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = join(ROOT, "bin", "bank-sim");
export const COURSE = join(ROOT, "test", "fixtures", "course");
export const EXAMPLES = join(ROOT, "examples");
