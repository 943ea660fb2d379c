import { decodeBase32, encodeBase32 } from "./base32";
import { timingSafeEqual } from "./constant-time";
import { hotpWithKey, importHotpKey } from "./hotp";

/**
 * RFC 6238 TOTP with the parameters every authenticator app supports: HMAC-SHA1, 6 digits, 30 s
 * steps from the Unix epoch. Secrets are base32 strings (what the otpauth URI carries); the caller
 * stores them, and encrypts them at rest since, unlike a password hash, they must be readable.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160 bits: RFC 4226 §4 requires at least 128 and recommends 160, SHA-1's output size. */
export const TOTP_SECRET_BYTES = 20;
/**
 * Steps accepted either side of now: one absorbs clock drift and the time it takes to type (RFC
 * 6238 §5.2 recommends at most one step), and keeps a guess at 3 in a million per attempt; sign-in
 * rate limiting does the rest.
 */
export const TOTP_WINDOW_STEPS = 1;

export type TotpVerification =
  | { ok: true; step: number }
  | { ok: false; reason: "invalid" | "replayed" | "malformed" };

const CODE = /^[0-9]{6}$/;

/** A fresh random secret, base32 without padding (32 characters). */
export function generateTotpSecret(): string {
  return encodeBase32(crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES)));
}

/** The time step containing `nowMs` (milliseconds since the epoch, as Date.now()). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The enrolment URI for a QR code, in the Key URI Format authenticator apps read:
 * `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
 * Percent-encoded with encodeURIComponent (space → %20, never "+", which some apps show
 * literally). Issuer and account may not contain ":" since apps split the label on it.
 */
export function totpUri({
  secret,
  accountName,
  issuer,
}: {
  secret: string;
  accountName: string;
  issuer: string;
}): string {
  for (const [name, value] of [
    ["issuer", issuer],
    ["accountName", accountName],
  ] as const) {
    if (value.trim() === "" || value.includes(":")) {
      throw new TypeError(`TOTP ${name} must be non-empty and contain no ":"`);
    }
  }
  decodeBase32(secret); // throws on a malformed secret rather than enrolling an unusable one
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${secret.toUpperCase().replace(/=+$/, "")}`,
    `issuer=${encodeURIComponent(issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join("&");
  return `otpauth://totp/${label}?${query}`;
}

/**
 * Checks a 6-digit code against the steps now-1, now and now+1.
 *
 * Replay refusal: a code whose step is ≤ `lastUsedStep` is refused as "replayed". On success the
 * caller must store the returned step, with a conditional write (`… WHERE last_step < $step`) so
 * two concurrent requests with one code cannot both succeed. Because steps only move forward, a
 * code older than the last one used is refused too.
 *
 * Input must be exactly six ASCII digits (a UI may strip the space apps show); anything else is
 * "malformed" and costs no HMAC. A malformed `secret` is a server-side fault and throws.
 */
export async function verifyTotp({
  secret,
  code,
  now = Date.now(),
  lastUsedStep,
}: {
  secret: string;
  code: string;
  now?: number;
  lastUsedStep?: number | null;
}): Promise<TotpVerification> {
  const secretBytes = decodeBase32(secret);
  if (typeof code !== "string" || !CODE.test(code)) return { ok: false, reason: "malformed" };
  const key = await importHotpKey(secretBytes);

  const submitted = new TextEncoder().encode(code);
  const current = totpStep(now);
  let accepted: number | null = null;
  let replayed = false;
  // Every step in the window is computed and compared, with no early exit, so the time taken does
  // not reveal which step (if any) matched.
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    if (step < 0) continue;
    const expected = new TextEncoder().encode(await hotpWithKey(key, step, TOTP_DIGITS));
    if (!timingSafeEqual(submitted, expected)) continue;
    if (lastUsedStep != null && step <= lastUsedStep) replayed = true;
    else accepted = step; // ascending loop: the latest fresh step wins, the safest one to record
  }
  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? "replayed" : "invalid" };
}
