// Transport credentials for branches that leave the process. Without TLS
// material (the in-process cluster, or a served cluster started with
// --insecure on loopback) every channel is plaintext, as before; with it,
// every server speaks TLS and demands a client certificate signed by the
// cluster's CA (mutual TLS), and every client presents its own certificate
// and checks the server's against that CA and the address it dialled. The
// cluster secret (auth.ts) is still required on every call, on top of this.

import * as grpc from "@grpc/grpc-js";

/** PEM text of the cluster's CA and of this process's certificate and key. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** Server credentials: mutual TLS with `tls`, plaintext without. */
export function serverCredentials(tls: TlsMaterial | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(Buffer.from(tls.ca), [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }], true);
}

/**
 * grpc-js passes the dialled host to TLS as the SNI server name even when it
 * is an IP address, and Node then warns (DEP0123) once per process. The
 * certificate is still checked against the IP (its subject alternative
 * names); only SNI is skipped. That one warning is dropped; every other
 * warning goes through as before.
 */
let sniWarningFiltered = false;
function dropIpServerNameWarning(): void {
  if (sniWarningFiltered) return;
  sniWarningFiltered = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === "DEP0123") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Channel credentials: TLS presenting our certificate with `tls`, plaintext without. */
export function channelCredentials(tls: TlsMaterial | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  dropIpServerNameWarning();
  return grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert));
}
