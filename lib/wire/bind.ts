// Binding a gRPC server to a port, with a clear error when the port is taken,
// and the options every server here is created with (SERVER_OPTIONS). grpc-js
// turns on SO_REUSEPORT by default, which would let two runs silently share a
// port; it is off here. The message size limit and keepalive are the servers'
// defences against a hostile or broken peer.

import * as grpc from "@grpc/grpc-js";
import { KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, MAX_REQUEST_BYTES } from "../core/limits.js";

export { KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, MAX_REPLICATION_MESSAGE_BYTES, MAX_REQUEST_BYTES } from "../core/limits.js";

export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.so_reuseport": 0,
  "grpc.max_receive_message_length": MAX_REQUEST_BYTES,
  "grpc.keepalive_time_ms": KEEPALIVE_MS,
  "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
};

export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        const why = /EADDRINUSE|address already in use|No address added/i.test(err.message) ? "the port is already in use" : err.message;
        reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
      } else resolve(bound);
    });
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
