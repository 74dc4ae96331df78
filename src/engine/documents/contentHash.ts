// Change detection: a document is re-indexed only when its bytes change, not when only its mtime does.
import { createHash } from 'crypto';

/** sha256 of the bytes (strings are hashed as UTF-8), lowercase hex. */
export function contentHash(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
