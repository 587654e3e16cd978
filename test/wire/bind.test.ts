// Binding a branch's server: when the OS refuses, the error says why (a port
// in use, a privileged port, an address this machine does not have), not
// grpc-js's "No address added".

import * as grpc from "@grpc/grpc-js";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import t from "tap";
import { bindServer } from "../../lib/wire/bind.js";
import { ROOT } from "../helpers/paths.js";

t.test("a port already in use is named as such", async (t) => {
  const taken = createServer().listen(0, "127.0.0.1");
  await once(taken, "listening");
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const server = new grpc.Server({ "grpc.so_reuseport": 0 });
  t.teardown(() => server.forceShutdown());
  await t.rejects(bindServer(server, "127.0.0.1", port), { message: `cannot listen on 127.0.0.1:${port}: the port is already in use` });
});

t.test("an address that is not this machine's is named as such", async (t) => {
  // 192.0.2.1 is reserved for documentation: no machine has it, and binding sends nothing.
  const server = new grpc.Server();
  t.teardown(() => server.forceShutdown());
  await t.rejects(bindServer(server, "192.0.2.1", 0), { message: "cannot listen on 192.0.2.1:0: the address is not one of this machine's" });
});

t.test("a port below 1024, for a user who is not root, is a permission problem, not a port in use", async (t) => {
  if (process.getuid?.() !== 0) {
    t.comment("skipped: needs root, to run the check as the unprivileged user nobody");
    return;
  }
  const script = `import(${JSON.stringify(join(ROOT, "dist/lib/wire/bind.js"))}).then(async ({ bindServer }) => {
    const grpc = await import(${JSON.stringify(join(ROOT, "node_modules/@grpc/grpc-js/build/src/index.js"))});
    const s = new grpc.Server();
    await bindServer(s, "127.0.0.1", 999).then(() => console.log("bound"), (e) => console.log(e.message));
    s.forceShutdown();
  });`;
  // nobody must be able to read the build (a checkout in a private temp dir is not readable to it),
  // and gets none of tap's NODE_OPTIONS hooks, which live in that same checkout.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS"));
  const readable = spawnSync("runuser", ["-u", "nobody", "--", "test", "-r", join(ROOT, "dist/lib/wire/bind.js")], { env, timeout: 60_000 });
  if (readable.error || readable.status !== 0) {
    t.comment(`skipped: the user nobody cannot read ${ROOT} (or runuser is missing)`);
    return;
  }
  const r = spawnSync("runuser", ["-u", "nobody", "--", process.execPath, "-e", script], { encoding: "utf8", timeout: 60_000, env });
  if (r.error || (r.status !== 0 && /runuser|nobody/.test(r.stderr))) {
    t.comment(`skipped: cannot run as nobody here: ${r.error?.message ?? r.stderr.trim()}`);
    return;
  }
  t.equal(r.stdout.trim(), "cannot listen on 127.0.0.1:999: permission denied (ports below 1024 need root)", r.stderr);
});
