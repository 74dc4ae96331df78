// The on-disk format of the append-only journal that sits beside the SQLite snapshot.
//
//   header (40 bytes, little-endian):
//     0  "RPTRJRNL"        magic
//     8  u32 version       = 1
//     12 u32 reserved      = 0
//     16 u64 baseSeq       seq of the last record already inside the snapshot this journal follows (0: none/unknown)
//     24 u64 snapshotBytes length of that snapshot (0: no snapshot yet)
//     32 u32 snapshotCrc   CRC-32 of that snapshot, so a damaged or swapped snapshot is caught on open
//     36 u32 headerCrc     CRC-32 of bytes 0..35
//   frames, back to back:
//     [u32 payloadLength][u32 crc32 of (seq bytes + payload)][u64 seq][payload]
//
// The snapshot fingerprint (length + CRC) is what pairs a journal with its snapshot: the file pair is consistent
// exactly when they match, which is how a half-finished compaction or a corrupt snapshot is told apart on open.
import * as fs from 'node:fs';
import { crc32 } from './crc32';

export const JOURNAL_MAGIC = 'RPTRJRNL';
export const JOURNAL_VERSION = 1;
export const JOURNAL_HEADER_BYTES = 40;
export const FRAME_HEADER_BYTES = 16;
/** Far above any real record; a bigger length field can only be damage. */
export const MAX_PAYLOAD_BYTES = 1 << 30;

export interface JournalEntry {
  seq: number;
  payload: Uint8Array;
}

/** Identifies the snapshot a journal continues from. `bytes === 0` means "no snapshot" (a new index). */
export interface SnapshotFingerprint {
  bytes: number;
  crc: number;
}

export interface JournalHeader {
  baseSeq: number;
  snapshot: SnapshotFingerprint;
}

export const NO_SNAPSHOT: SnapshotFingerprint = Object.freeze({ bytes: 0, crc: 0 });

export function fingerprintOf(snapshot: Uint8Array | null): SnapshotFingerprint {
  return snapshot ? { bytes: snapshot.length, crc: crc32(snapshot) } : NO_SNAPSHOT;
}

export function sameFingerprint(a: SnapshotFingerprint, b: SnapshotFingerprint): boolean {
  return a.bytes === b.bytes && a.crc === b.crc;
}

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value % 0x1_0000_0000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

/** Reads a u64 that must fit in a JS safe integer; returns -1 when it cannot (only damage produces that). */
function readU64(buf: Buffer, offset: number): number {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  if (hi >= 0x20_0000) return -1;
  return hi * 0x1_0000_0000 + lo;
}

export function encodeJournalHeader(h: JournalHeader): Buffer {
  const buf = Buffer.alloc(JOURNAL_HEADER_BYTES);
  buf.write(JOURNAL_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(JOURNAL_VERSION, 8);
  writeU64(buf, h.baseSeq, 16);
  writeU64(buf, h.snapshot.bytes, 24);
  buf.writeUInt32LE(h.snapshot.crc >>> 0, 32);
  buf.writeUInt32LE(crc32(buf.subarray(0, 36)), 36);
  return buf;
}

export type HeaderDecodeResult =
  | { ok: true; header: JournalHeader }
  | { ok: false; reason: 'short' | 'magic' | 'version' | 'checksum' };

export function decodeJournalHeader(buf: Buffer): HeaderDecodeResult {
  if (buf.length < JOURNAL_HEADER_BYTES) return { ok: false, reason: 'short' };
  if (buf.toString('latin1', 0, 8) !== JOURNAL_MAGIC) return { ok: false, reason: 'magic' };
  if (buf.readUInt32LE(36) !== crc32(buf.subarray(0, 36))) return { ok: false, reason: 'checksum' };
  if (buf.readUInt32LE(8) !== JOURNAL_VERSION) return { ok: false, reason: 'version' };
  const baseSeq = readU64(buf, 16);
  const bytes = readU64(buf, 24);
  if (baseSeq < 0 || bytes < 0) return { ok: false, reason: 'checksum' };
  return { ok: true, header: { baseSeq, snapshot: { bytes, crc: buf.readUInt32LE(32) } } };
}

/** The 16 bytes written before a payload. The CRC covers the seq too, so a flipped seq is caught. */
export function encodeFrameHeader(seq: number, payload: Uint8Array): Buffer {
  const buf = Buffer.alloc(FRAME_HEADER_BYTES);
  buf.writeUInt32LE(payload.length, 0);
  writeU64(buf, seq, 8);
  buf.writeUInt32LE(crc32(payload, crc32(buf.subarray(8, 16))), 4);
  return buf;
}

/** Why reading stopped before the end of the file. */
export interface JournalDamage {
  /** `torn`: the file ends inside a frame (a write cut short by a crash; expected after power loss).
   *  `corrupt`: a complete frame fails its checksum or order while more bytes follow (media damage). */
  kind: 'torn' | 'corrupt';
  /** Byte offset of the first frame that was not trusted; everything from here on is dropped. */
  offset: number;
  droppedBytes: number;
}

export interface JournalScan {
  header: JournalHeader;
  entries: JournalEntry[];
  /** Byte offset of each entry's frame, parallel to `entries` (used to carry records over on compaction). */
  frameOffsets: number[];
  /** End of the last intact frame: where the next frame goes once the damage is cut off. */
  validBytes: number;
  fileBytes: number;
  damage: JournalDamage | null;
}

export class JournalHeaderError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`The journal ${path} has an unreadable header (${reason}).`);
    this.name = 'JournalHeaderError';
  }
}

/**
 * Reads a journal frame by frame. Each payload gets its own buffer, so memory is the sum of the records,
 * never one copy of the whole file plus the records. Stops at the first frame that is torn or fails its checks.
 */
export function scanJournal(path: string, options: { wantPayloads?: boolean } = {}): JournalScan {
  const wantPayloads = options.wantPayloads ?? true;
  const fd = fs.openSync(path, 'r');
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const headerBuf = Buffer.alloc(JOURNAL_HEADER_BYTES);
    const got = fileBytes >= JOURNAL_HEADER_BYTES ? fs.readSync(fd, headerBuf, 0, JOURNAL_HEADER_BYTES, 0) : 0;
    const decoded = decodeJournalHeader(got === JOURNAL_HEADER_BYTES ? headerBuf : Buffer.alloc(0));
    if (!decoded.ok) throw new JournalHeaderError(path, decoded.reason);
    const header = decoded.header;

    const entries: JournalEntry[] = [];
    const frameOffsets: number[] = [];
    const frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
    let pos = JOURNAL_HEADER_BYTES;
    let lastSeq = header.baseSeq;
    let damage: JournalDamage | null = null;
    const stop = (kind: JournalDamage['kind']) => {
      damage = { kind, offset: pos, droppedBytes: fileBytes - pos };
    };
    while (pos < fileBytes) {
      if (fileBytes - pos < FRAME_HEADER_BYTES) {
        stop('torn');
        break;
      }
      readExactly(fd, frameHeader, pos);
      const length = frameHeader.readUInt32LE(0);
      const storedCrc = frameHeader.readUInt32LE(4);
      const seq = readU64(frameHeader, 8);
      const frameEnd = pos + FRAME_HEADER_BYTES + length;
      if (frameEnd > fileBytes) {
        // Ends past EOF: the classic torn write, unless an intact frame follows, which means a damaged length field.
        stop(length > MAX_PAYLOAD_BYTES || intactFrameFollows(fd, pos + 1, fileBytes, lastSeq) ? 'corrupt' : 'torn');
        break;
      }
      const payload = Buffer.allocUnsafe(length);
      if (length > 0) readExactly(fd, payload, pos + FRAME_HEADER_BYTES);
      const crcOk = crc32(payload, crc32(frameHeader.subarray(8, 16))) === storedCrc;
      if (!crcOk || seq <= lastSeq) {
        // A complete frame that fails its checks was damaged after it was written (a crash cuts frames short, it
        // does not rewrite them), so it is reported as corruption even when it is the last one.
        stop('corrupt');
        break;
      }
      entries.push({ seq, payload: wantPayloads ? payload : new Uint8Array(0) });
      frameOffsets.push(pos);
      lastSeq = seq;
      pos = frameEnd;
    }
    return { header, entries, frameOffsets, validBytes: pos, fileBytes, damage };
  } finally {
    fs.closeSync(fd);
  }
}

const PROBE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * True when an intact frame (plausible seq, matching CRC) starts somewhere in [from, fileBytes). Only called once,
 * at the point where reading stopped, to tell a torn tail (nothing valid after it) from a damaged length field.
 */
function intactFrameFollows(fd: number, from: number, fileBytes: number, lastSeq: number): boolean {
  const remaining = fileBytes - from;
  if (remaining < FRAME_HEADER_BYTES) return false;
  if (remaining > PROBE_LIMIT_BYTES) return true; // far longer than any torn write
  const buf = Buffer.allocUnsafe(remaining);
  readExactly(fd, buf, from);
  for (let off = 0; off + FRAME_HEADER_BYTES <= remaining; off++) {
    const seq = readU64(buf, off + 8);
    if (seq <= lastSeq || seq > lastSeq + 1_000_000) continue;
    const length = buf.readUInt32LE(off);
    if (off + FRAME_HEADER_BYTES + length > remaining) continue;
    const body = buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + length);
    if (crc32(body, crc32(buf.subarray(off + 8, off + 16))) === buf.readUInt32LE(off + 4)) return true;
  }
  return false;
}

/** Only the header, without reading any frame. Returns null when the file's header is missing or damaged. */
export function readJournalHeader(path: string): JournalHeader | null {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(JOURNAL_HEADER_BYTES);
    const got = fs.readSync(fd, buf, 0, JOURNAL_HEADER_BYTES, 0);
    const decoded = decodeJournalHeader(buf.subarray(0, got));
    return decoded.ok ? decoded.header : null;
  } finally {
    fs.closeSync(fd);
  }
}

function readExactly(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw Object.assign(new Error('unexpected end of journal file'), { code: 'EOF' });
    done += n;
  }
}

/** Writes all of `buffers` at `position`, looping over short writes. Throws the fs error (e.g. ENOSPC) as is. */
export function writeAllAt(fd: number, buffers: Uint8Array[], position: number): number {
  let pos = position;
  let pending = buffers.filter((b) => b.length > 0);
  while (pending.length > 0) {
    let written = fs.writevSync(fd, pending, pos);
    if (written === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    pos += written;
    const rest: Uint8Array[] = [];
    for (const b of pending) {
      if (written >= b.length) {
        written -= b.length;
        continue;
      }
      rest.push(written > 0 ? b.subarray(written) : b);
      written = 0;
    }
    pending = rest;
  }
  return pos - position;
}
