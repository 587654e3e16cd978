// Certificates for a served cluster, made by Debian's `openssl` (never by
// hand here): a CA, one certificate per host naming the host's addresses as
// subject alternative names (so peers and customers can check they reached
// the host they dialled; usable as server and as client, since hosts dial
// each other), and one client certificate for customers. Keys are P-256,
// written 0600. The CA's key stays beside the CA, to sign more hosts later.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

const DAYS = "825";
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface CertificateFiles {
  ca: string;
  caKey: string;
  hosts: Map<number, { cert: string; key: string }>;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT") throw new Error("cannot make certificates: the openssl command is not installed (apt-get install openssl)");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** "IP:10.0.0.2" or "DNS:host-a"; loopback hosts also get localhost and 127.0.0.1. */
export function subjectAltNames(addresses: readonly string[]): string {
  const names = new Set<string>();
  for (const a of addresses) {
    names.add(isIP(a.replace(/^\[|\]$/g, "")) ? `IP:${a.replace(/^\[|\]$/g, "")}` : `DNS:${a}`);
    if (a === "localhost" || a.startsWith("127.")) {
      names.add("DNS:localhost");
      names.add("IP:127.0.0.1");
    }
  }
  return [...names].join(",");
}

/** Makes the CA, a certificate per host and a client certificate in `dir` (which must not hold them yet). */
export function makeCertificates(dir: string, hosts: ReadonlyArray<{ id: number; addresses: string[] }>): CertificateFiles {
  const files: CertificateFiles = {
    ca: join(dir, "ca.pem"), caKey: join(dir, "ca-key.pem"), hosts: new Map(),
    clientCert: join(dir, "client.pem"), clientKey: join(dir, "client-key.pem"),
  };
  for (const f of [files.ca, files.caKey]) if (existsSync(f)) throw new Error(`${f} already exists: refusing to overwrite it`);
  openssl(["req", "-x509", ...KEY, "-keyout", files.caKey, "-out", files.ca, "-days", "3650", "-subj", "/CN=bank-sim cluster CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const leaf = (cert: string, key: string, cn: string, usage: string, sans?: string) => {
    openssl(["req", "-x509", ...KEY, "-keyout", key, "-out", cert, "-days", DAYS, "-subj", `/CN=${cn}`,
      "-CA", files.ca, "-CAkey", files.caKey,
      "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
      "-addext", `extendedKeyUsage=${usage}`, ...(sans ? ["-addext", `subjectAltName=${sans}`] : [])]);
    chmodSync(key, 0o600);
  };
  for (const h of hosts) {
    const cert = join(dir, `host-${h.id}.pem`);
    const key = join(dir, `host-${h.id}-key.pem`);
    leaf(cert, key, `bank-sim host ${h.id}`, "serverAuth,clientAuth", subjectAltNames(h.addresses));
    files.hosts.set(h.id, { cert, key });
  }
  leaf(files.clientCert, files.clientKey, "bank-sim customer", "clientAuth");
  chmodSync(files.caKey, 0o600);
  return files;
}
