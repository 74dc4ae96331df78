// CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Node >= 20.15 has a native zlib.crc32 that runs at
// several GB/s; older runtimes (some Electron builds) fall back to a table-driven version.
import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, initial?: number) => number;

const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

let table: Uint32Array | undefined;
function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven CRC-32, exported so tests can check it against the native one. */
export function crc32Portable(data: Uint8Array, initial = 0): number {
  const t = crcTable();
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data`, continuing from `initial` (the CRC of the bytes before it), so big inputs can be fed in pieces. */
export function crc32(data: Uint8Array, initial = 0): number {
  return nativeCrc32 ? nativeCrc32(data, initial) >>> 0 : crc32Portable(data, initial);
}
