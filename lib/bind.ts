// Binding a gRPC server to a port, with a clear error when the port is taken,
// and the options every server here is created with (SERVER_OPTIONS). grpc-js
// turns on SO_REUSEPORT by default, which would let two runs silently share a
// port; it is off here. The message size limit and keepalive are the servers'
// defences against a hostile or broken peer.

import * as grpc from "@grpc/grpc-js";

/** Largest message a branch's Bank service takes; a larger one gets RESOURCE_EXHAUSTED from grpc-js. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Largest WriteBatch a host's Replication service takes. A batch is at most
 * batchMax (256 by default) writes whose deps name at most MAX_BRANCHES (2,000)
 * branches each, about 4 MiB at worst; 64 MiB leaves room for larger batches.
 */
export const MAX_REPLICATION_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Every connection is PINGed after this long, and closed when the PING is not
 * answered in KEEPALIVE_TIMEOUT_MS. Any HTTP/2 client answers by itself; a
 * peer that sent garbage does not, and without this the server would keep
 * its socket open for ever (after a protocol error, Node's HTTP/2 server sends
 * GOAWAY but does not close the connection, even once the peer has half-closed it).
 */
export const KEEPALIVE_MS = 60_000;
export const KEEPALIVE_TIMEOUT_MS = 20_000;

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
