// Binding a gRPC server to a port, with a clear error when the port is taken,
// and the options every server here is created with (SERVER_OPTIONS). grpc-js
// turns on SO_REUSEPORT by default, which would let two runs silently share a
// port; it is off here. The message size limit and keepalive are the servers'
// defences against a hostile or broken peer.

import * as grpc from "@grpc/grpc-js";
import { createServer } from "node:net";
import { serverCredentials, type TlsMaterial } from "./tls.js";
import { KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, MAX_REQUEST_BYTES } from "../core/limits.js";


export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.so_reuseport": 0,
  "grpc.max_receive_message_length": MAX_REQUEST_BYTES,
  "grpc.keepalive_time_ms": KEEPALIVE_MS,
  "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
};

/** Binds `server` to host:port, with mutual TLS when `tls` is given (plaintext otherwise). */
export function bindServer(server: grpc.Server, host: string, port: number, tls?: TlsMaterial): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(tls), (err, bound) => {
      if (!err) return resolve(bound);
      // grpc-js says only "No address added": ask the OS what it refused, after the fact (never before: a port can be taken in between).
      void whyCannotListen(host, port).then((why) => reject(new Error(`cannot listen on ${host}:${port}: ${why ?? err.message}`)));
    });
  });
}

const CAUSES: Record<string, string> = {
  EADDRINUSE: "the port is already in use",
  EACCES: "permission denied (ports below 1024 need root)",
  EADDRNOTAVAIL: "the address is not one of this machine's",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name cannot be resolved",
};

/** The OS's reason for refusing host:port, found by trying a plain listen once grpc-js has failed; undefined if it can listen now. */
function whyCannotListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ? CAUSES[e.code] ?? `${e.code}: ${e.message}` : e.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** Graceful shutdown, forced after a short grace period so nothing lingers. */
export function shutdown(server: grpc.Server, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
