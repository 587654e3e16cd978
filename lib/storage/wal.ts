// A branch's durable store: an append-only log of JSON records, each framed
// as [length u32 LE][crc32 u32 LE][payload]. A synced append resolves once
// fdatasync has made it durable; appends that arrive while a sync is in flight
// share the next one (group commit), so concurrent requests pay one fsync, not
// one each. An unsynced append is only queued, and written within 50 ms.
//
// Opening a log reads it back. A record cut short by a crash (a torn tail) or
// one whose checksum fails ends the log: it and everything after it are cut
// off (and reported), never replayed. What it keeps is synced before it is
// returned: nothing recovered can be lost afterwards.

import { closeSync, openSync, writeSync } from "node:fs";
import { REAL_CLOCK, type Clock } from "../core/applied-waiters.js";
import { crc32 } from "./crc32.js";
import { REAL_DISK, type Disk, type LogFile } from "./disk.js";
import { StorageError, storageError } from "./storage-error.js";

export { StorageError };

const HEADER = 8;
// A received write need not be durable (its origin resends it to a replica
// that lost it), and an own decision's sync takes every earlier record with it:
// so unsynced records wait longer, and 500 replicas on a worker make a fifth
// of the write calls they made at 50 ms.
const LAZY_FLUSH_MS = 250;
/** What the log's lazy flush waits on: real timers, or the simulator's virtual ones. */
export type Timers = Pick<Clock, "setTimeout" | "clearTimeout">;

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

interface Append {
  frame: Buffer;
  sync: boolean;
  done: (err: Error | null) => void;
}

export class WriteAheadLog<T = unknown> {
  private readonly file: LogFile;
  /** Bytes of the file known good: written (and synced, where asked) without error. */
  private goodBytes: number;
  private pending: Append[] = [];
  private syncing = false;
  private crashed = false;
  private idle: Array<() => void> = [];
  private lazy: Buffer[] = [];
  private lazyTimer: unknown;
  private readonly timers: Timers;
  private closed = false;
  private failure: StorageError | undefined;
  private readonly failureListeners: Array<(err: StorageError) => void> = [];
  /** Counters, for the durability cost. */
  syncs = 0;
  appends = 0;

  private constructor(file: LogFile, goodBytes: number, timers: Timers) {
    this.file = file;
    this.goodBytes = goodBytes;
    this.timers = timers;
  }

  /** Opens (creating) the log, recovers its records and cuts a bad tail. */
  static open<T>(path: string, disk: Disk = REAL_DISK, timers: Timers = REAL_CLOCK): { wal: WriteAheadLog<T> } & Recovered<T> {
    const { file, bytes } = disk.open(path);
    const decoded = decodeLog<T>(bytes);
    // Cut a bad tail, and make what is recovered durable before anyone acts on
    // it: the process that wrote it may have died before its fdatasync
    // returned, leaving records in the page cache only, which a power cut
    // would still take (and a decision recovered, replayed and then lost
    // would hand its write id to another write). truncate syncs.
    if (bytes.length > 0) file.truncate(decoded.goodBytes);
    const wal = new WriteAheadLog<T>(file, decoded.goodBytes, timers);
    const out: { wal: WriteAheadLog<T> } & Recovered<T> = { wal, records: decoded.records, cutBytes: decoded.cutBytes };
    if (decoded.cutReason) out.cutReason = decoded.cutReason;
    return out;
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * Bytes from the start of the file that hold whole records, written without
   * error and, for every record whose append asked to be synced, synced. A
   * reader that must not see a record before its append resolved (a peer
   * fetching this branch's decisions) reads no further.
   */
  get goodLength(): number {
    return this.goodBytes;
  }

  /** Set once an append failed; every later append is refused with it. */
  get failed(): StorageError | undefined {
    return this.failure;
  }

  /** Calls `fn` once, when the log fails (also for unsynced appends, whose callers did not wait). */
  onFailure(fn: (err: StorageError) => void): void {
    if (this.failure) fn(this.failure);
    else this.failureListeners.push(fn);
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
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new StorageError(this.path, "the log is closed"));
    if (!sync) {
      this.queue(frame);
      return Promise.resolve();
    }
    this.appends++;
    return new Promise((resolve, reject) => {
      this.moveLazy();
      this.pending.push({ frame, sync, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.syncing) this.commit();
    });
  }

  /**
   * An unsynced append that returns nothing, for callers that never wait on
   * one (a replica's received writes, hundreds per write on a big host):
   * false, and nothing queued, once the log has failed (onFailure said so)
   * or is closed.
   */
  queue(frame: Buffer): boolean {
    if (this.failure || this.closed) return false;
    this.appends++;
    this.lazy.push(frame);
    this.lazyTimer ??= this.timers.setTimeout(() => {
      this.lazyTimer = undefined;
      this.moveLazy();
      if (!this.syncing) this.commit();
    }, LAZY_FLUSH_MS);
    return true;
  }

  private moveLazy(): void {
    if (this.lazy.length === 0) return;
    this.pending.push({ frame: Buffer.concat(this.lazy), sync: false, done: () => undefined });
    this.lazy = [];
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.failure) {
      for (const b of batch) b.done(this.failure ?? null);
      this.syncing = false;
      if (this.crashed) this.file.close();
      for (const wake of this.idle.splice(0)) wake();
      return;
    }
    this.syncing = true;
    void this.store(batch).then(
      () => this.finish(batch, null),
      (err: unknown) => this.finish(batch, this.fail(err)),
    );
  }

  /** Writes one group of appends and, if any asked for it, syncs them. */
  private async store(batch: readonly Append[]): Promise<void> {
    const bytes = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((b) => b.frame));
    await this.writeAll(bytes);
    if (batch.some((b) => b.sync)) {
      this.syncs++;
      await this.file.sync();
    }
    this.goodBytes += bytes.length;
  }

  /** Writes every byte, going on after a short write, so that a full disk reports its own error. */
  private async writeAll(bytes: Buffer): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      let n: number;
      try {
        n = await this.file.append(done === 0 ? bytes : bytes.subarray(done));
      } catch (err) {
        if (done === 0) throw err;
        const e = err as NodeJS.ErrnoException;
        throw Object.assign(new Error(`${e.message} (after ${done} of ${bytes.length} bytes)`), { code: e.code });
      }
      if (n <= 0) throw new Error(`short write: ${done} of ${bytes.length} bytes reached the file`);
      done += n;
    }
  }

  private finish(batch: readonly Append[], err: StorageError | null): void {
    // After a crash nobody hears back: the appends in flight are lost.
    if (!this.crashed) for (const b of batch) b.done(err);
    this.commit();
  }

  /**
   * The log cannot be trusted past its last good byte: cut what a failed
   * append may have left (a torn frame, unsynced bytes), so that nothing
   * appended later could sit behind it, and refuse everything from now on.
   */
  private fail(err: unknown): StorageError {
    let failure = storageError(this.path, err);
    const cause = failure.cause;
    if (!this.crashed) {
      try {
        this.file.truncate(this.goodBytes);
      } catch (cut) {
        failure = new StorageError(this.path, `${cause}; cutting it back to its last good byte (${this.goodBytes}) failed too: ${(cut as Error).message}`);
      }
    }
    if (this.failure) return this.failure;
    this.failure = failure;
    for (const fn of this.failureListeners.splice(0)) fn(failure);
    return failure;
  }

  /** Stops at once, as a crash would: appends not yet written are dropped (never resolved). */
  crash(): void {
    if (this.closed) return;
    this.closed = true;
    this.crashed = true;
    this.pending = [];
    this.lazy = [];
    this.timers.clearTimeout(this.lazyTimer);
    // A write or sync still in flight must finish before the descriptor goes:
    // a number reused by the next log opened here must not receive it.
    if (!this.syncing) this.file.close();
  }

  /** Waits for appends in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.timers.clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    this.moveLazy();
    if (!this.syncing) this.commit();
    this.closed = true;
    while (this.syncing || this.pending.length > 0) await new Promise<void>((r) => this.idle.push(r));
    this.file.close();
  }
}

/** For tests: appends raw bytes (to fake a torn write). */
export function appendRawForTest(path: string, bytes: Buffer): void {
  const fd = openSync(path, "a");
  writeSync(fd, bytes);
  closeSync(fd);
}
