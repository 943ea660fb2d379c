/**
 * Compares two byte strings without an early exit, so the time taken does not depend on how many
 * leading bytes match (the classic per-byte guessing attack on `===`). Written in plain JS rather
 * than `crypto.subtle.timingSafeEqual` because that is a workerd extension Node lacks, and these
 * modules must run in both.
 *
 * Lengths are not secret for any caller here (fixed-size digests, fixed-size codes), so a length
 * mismatch returns at once.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
