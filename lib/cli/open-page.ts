// Opens a written page in the user's browser, when there is a user to see it:
// standard output is a terminal, a desktop is running (DISPLAY or
// WAYLAND_DISPLAY on Linux; always on macOS), and not in CI. The opener
// (xdg-open, or macOS's open) is started detached and left alone: the browser
// is the user's, not the run's. Returns whether it tried.

import { spawn } from "node:child_process";

export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): boolean {
  if (!isTty || env["CI"] !== undefined || env["BANK_SIM_NO_OPEN"] !== undefined) return false;
  const opener = process.platform === "darwin" ? "open" : process.platform === "linux" && (env["DISPLAY"] || env["WAYLAND_DISPLAY"]) ? "xdg-open" : undefined;
  if (opener === undefined) return false;
  const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
  child.on("error", () => undefined); // no opener installed: the address is printed anyway
  child.unref();
  return true;
}
