// Whether a port still takes connections: the tests' proof that a server,
// host or cluster left nothing listening behind it.

import { connect } from "node:net";

/** Resolves true when `address` ("host:port") refuses a TCP connection. */
export function refuses(address: string): Promise<boolean> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const s = connect(Number(port), host);
    s.once("connect", () => (s.destroy(), resolve(false)));
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}
