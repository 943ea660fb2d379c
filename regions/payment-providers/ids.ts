import { randomBytes } from "node:crypto";

// Identifiers in each provider's own shape: Stripe's `cs_test_…`, `pi_…`, `evt_…` (base62),
// Paystack's access codes and references, Flutterwave's FLW refs.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function base62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  // Rejection sampling keeps the distribution uniform (248 = 4 × 62).
  for (const byte of bytes) {
    if (byte < 248) out += BASE62[byte % 62];
    if (out.length === length) return out;
  }
  return out + base62(length - out.length);
}

export function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${base62(length)}`;
}

export function lowerAlnum(length: number): string {
  return base62(length * 2)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, length)
    .padEnd(length, "0");
}

/** Numeric ids (Paystack transaction ids, Flutterwave transaction ids) in a plausible range. */
export function numericIdSequence(start: number): () => number {
  let next = start;
  return () => next++;
}
