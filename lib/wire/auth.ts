// Who may call a cluster's servers: only its own customers and hosts, which
// hold the run's secret and send it with every call as the metadata
// `authorization: Bearer <secret>` (the header gRPC clients in any language
// set the same way). A server interceptor checks it before anything else:
// before the message is decoded, before any handler runs. A missing or wrong
// secret gets UNAUTHENTICATED and changes nothing. The comparison takes the
// same time whatever the guess. TLS, for branches that leave the process,
// adds to this; it does not replace it.

import * as grpc from "@grpc/grpc-js";
import { randomBytes, timingSafeEqual } from "node:crypto";

export const AUTH_HEADER = "authorization";

/** A fresh secret for a run: 256 random bits, as hex. */
export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

/** The metadata value that carries `secret`. */
const bearer = (secret: string) => `Bearer ${secret}`;

/** Refuses, with UNAUTHENTICATED, every call that does not carry `secret`. */
export function requireSecret(secret: string): grpc.ServerInterceptor {
  const expected = Buffer.from(bearer(secret));
  return (_method, call) => new grpc.ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (metadata, pass) => {
        const sent = metadata.get(AUTH_HEADER)[0];
        // The length gives nothing away that matters; the bytes are compared in constant time.
        const got = typeof sent === "string" ? Buffer.from(sent) : undefined;
        if (got !== undefined && got.length === expected.length && timingSafeEqual(got, expected)) return pass(metadata);
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: "this cluster's servers answer only its own customers and hosts: send its secret as the metadata 'authorization: Bearer <secret>'", metadata: new grpc.Metadata() });
      },
    }),
  });
}

/** The secret as call metadata, for a call made without the interceptor below. */
export function secretMetadata(secret: string): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set(AUTH_HEADER, bearer(secret));
  return m;
}

/** Client options that send `secret` with every call on the channel. */
export function sendSecret(secret: string): grpc.ClientOptions {
  const value = bearer(secret);
  const interceptor: grpc.Interceptor = (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start: (metadata, listener, next) => {
      metadata.set(AUTH_HEADER, value);
      next(metadata, listener);
    },
  });
  return { interceptors: [interceptor] };
}
