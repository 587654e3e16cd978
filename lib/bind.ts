// Binding a gRPC server to a port, with a clear error when the port is taken.
// grpc-js turns on SO_REUSEPORT by default, which would let two runs silently
// share a port; servers here are created with it off (SERVER_OPTIONS).

import * as grpc from "@grpc/grpc-js";

export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.so_reuseport": 0,
  "grpc.max_receive_message_length": 4 * 1024 * 1024,
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
