// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), to detect torn or corrupt
// records in a branch's log: zlib's own, in native code (Node 20.15 and later).

import { crc32 as zlibCrc32 } from "node:zlib";

export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}
