// A branch's durable store: an append-only log of JSON records, each framed
// as [length u32 LE][crc32 u32 LE][payload]. A synced append resolves once
// fdatasync has made it durable; appends that arrive while a sync is in flight
// share the next one (group commit), so concurrent requests pay one fsync, not
// one each. An unsynced append is only queued, and written within 50 ms.
//
// Opening a log reads it back. A record cut short by a crash (a torn tail) or
// one whose checksum fails ends the log: it and everything after it are cut
// off (and reported), never replayed.

import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { fdatasync, write } from "node:fs";
import { crc32 } from "./crc32.js";

const HEADER = 8;
const LAZY_FLUSH_MS = 50;
/** A record larger than this is treated as corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface Recovered<T> {
  records: T[];
  /** Bytes cut off the end (a torn or corrupt tail), 0 for a clean log. */
  cutBytes: number;
  /** Why the tail was cut, when it was. */
  cutReason?: string;
}

export function encodeRecord(record: unknown): Buffer {
  return encodeJson(JSON.stringify(record));
}

/** Frames a record already turned into JSON text. */
export function encodeJson(json: string): Buffer {
  const payload = Buffer.from(json, "utf8");
  const frame = Buffer.allocUnsafe(HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, HEADER);
  return frame;
}

/** Parses a log's bytes; pure, so it can be tested on any corruption. */
export function decodeLog<T>(bytes: Buffer): Recovered<T> & { goodBytes: number } {
  const records: T[] = [];
  let at = 0;
  while (at < bytes.length) {
    const left = bytes.length - at;
    const fail = (why: string) => ({ records, goodBytes: at, cutBytes: left, cutReason: `${why} at byte ${at}` });
    if (left < HEADER) return fail("a record header cut short");
    const len = bytes.readUInt32LE(at);
    if (len > MAX_RECORD_BYTES) return fail(`an impossible record length ${len}`);
    if (left < HEADER + len) return fail("a record cut short");
    const payload = bytes.subarray(at + HEADER, at + HEADER + len);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) return fail("a checksum mismatch");
    let record: T;
    try {
      record = JSON.parse(payload.toString("utf8")) as T;
    } catch {
      return fail("a record that is not JSON");
    }
    records.push(record);
    at += HEADER + len;
  }
  return { records, goodBytes: at, cutBytes: 0 };
}

export class WriteAheadLog<T = unknown> {
  private readonly fd: number;
  private pending: Array<{ frame: Buffer; sync: boolean; done: (err: Error | null) => void }> = [];
  private syncing = false;
  private crashed = false;
  private idle: Array<() => void> = [];
  private lazy: Buffer[] = [];
  private lazyTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Counters, for the durability cost. */
  syncs = 0;
  appends = 0;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens (creating) the log, recovers its records and cuts a bad tail. */
  static open<T>(path: string): { wal: WriteAheadLog<T> } & Recovered<T> {
    const fd = openSync(path, "a+");
    const bytes = readFileSync(path);
    const decoded = decodeLog<T>(bytes);
    if (decoded.cutBytes > 0) {
      ftruncateSync(fd, decoded.goodBytes);
      fdatasyncSync(fd);
    }
    const out: { wal: WriteAheadLog<T> } & Recovered<T> = { wal: new WriteAheadLog<T>(fd), records: decoded.records, cutBytes: decoded.cutBytes };
    if (decoded.cutReason) out.cutReason = decoded.cutReason;
    return out;
  }

  /**
   * With `sync` (the default), resolves once the record is written and
   * fdatasync'd. Without it, the record is only queued: it reaches the file
   * within LAZY_FLUSH_MS, or with the next synced record, and a crash before
   * then loses it. Records reach the file in append order whatever their
   * `sync`, so a sync makes every earlier record durable too.
   */
  append(record: T, sync = true): Promise<void> {
    return this.appendJson(JSON.stringify(record), sync);
  }

  /** As append, for a record already turned into JSON text (it must parse as a T). */
  appendJson(json: string, sync = true): Promise<void> {
    return this.appendFrame(encodeJson(json), sync);
  }

  /** As append, for a record already framed by encodeJson (frames can be shared between logs). */
  appendFrame(frame: Buffer, sync = true): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the log is closed"));
    this.appends++;
    if (!sync) {
      this.lazy.push(frame);
      this.lazyTimer ??= setTimeout(() => {
        this.lazyTimer = undefined;
        this.moveLazy();
        if (!this.syncing) this.commit();
      }, LAZY_FLUSH_MS);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.moveLazy();
      this.pending.push({ frame, sync, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.syncing) this.commit();
    });
  }

  private moveLazy(): void {
    if (this.lazy.length === 0) return;
    this.pending.push({ frame: Buffer.concat(this.lazy), sync: false, done: () => undefined });
    this.lazy = [];
  }

  private commit(): void {
    if (this.closed && this.pending.length === 0 && !this.syncing) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) {
      this.syncing = false;
      if (this.crashed) closeSync(this.fd);
      for (const wake of this.idle.splice(0)) wake();
      return;
    }
    this.syncing = true;
    const bytes = Buffer.concat(batch.map((b) => b.frame));
    const finish = (err: Error | null) => {
      // After a crash nobody hears back: the appends in flight are lost.
      if (!this.crashed) for (const b of batch) b.done(err);
      this.commit();
    };
    write(this.fd, bytes, 0, bytes.length, null, (err, written) => {
      if (err) return finish(err);
      if (written !== bytes.length) return finish(new Error(`short write to the log: ${written} of ${bytes.length} bytes`));
      if (!batch.some((b) => b.sync)) return finish(null);
      fdatasync(this.fd, (err2) => {
        this.syncs++;
        finish(err2);
      });
    });
  }

  /** Stops at once, as a crash would: appends not yet written are dropped (never resolved). */
  crash(): void {
    if (this.closed) return;
    this.closed = true;
    this.crashed = true;
    this.pending = [];
    this.lazy = [];
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    // A write or sync still in flight must finish before the descriptor goes:
    // a number reused by the next log opened here must not receive it.
    if (!this.syncing) closeSync(this.fd);
  }

  /** Waits for appends in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    this.moveLazy();
    if (!this.syncing) this.commit();
    this.closed = true;
    while (this.syncing || this.pending.length > 0) await new Promise<void>((r) => this.idle.push(r));
    closeSync(this.fd);
  }
}

/** For tests: appends raw bytes (to fake a torn write). */
export function appendRawForTest(path: string, bytes: Buffer): void {
  const fd = openSync(path, "a");
  writeSync(fd, bytes);
  closeSync(fd);
}
