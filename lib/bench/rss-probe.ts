// Preloaded into a benchmarked child process (`node --import <this>`): when
// the child exits, writes its peak RSS and CPU time as JSON to the file named
// by BANK_SIM_RSS_OUT. Portable where /usr/bin/time is not installed.

import { writeFileSync } from "node:fs";

const out = process.env["BANK_SIM_RSS_OUT"];
if (out !== undefined && out !== "") {
  process.on("exit", () => {
    const u = process.resourceUsage();
    // maxRSS is in kilobytes.
    writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 }));
  });
}
