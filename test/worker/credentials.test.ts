import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../workers/api/auth/credentials/base32";
import { hotp } from "../../workers/api/auth/credentials/hotp";
import {
  DUMMY_HASH,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../../workers/api/auth/credentials/password";
import { PBKDF2_MAX_ITERATIONS, pbkdf2Sha256 } from "../../workers/api/auth/credentials/pbkdf2";
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  matchRecoveryCode,
} from "../../workers/api/auth/credentials/recovery-codes";
import { generateTotpSecret, totpStep, totpUri, verifyTotp } from "../../workers/api/auth/credentials/totp";
import { RFC_SECRET, RFC_SECRET_BASE32, RFC6238_SHA1_VECTORS } from "../unit/credentials/rfc-vectors";

// The credential modules inside workerd, the runtime they ship in: same answers as in Node.

const PASSWORD = "correct horse battery staple";

describe("password hashing in workerd", () => {
  it("hashes and verifies, and reports how long it takes", async () => {
    const hashTimes: number[] = [];
    const verifyTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      const stored = await hashPassword(PASSWORD);
      hashTimes.push(performance.now() - start);
      expect(stored).toMatch(/^\$pbkdf2-sha256\$i=100000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      start = performance.now();
      expect(await verifyPassword(PASSWORD, stored)).toEqual({ ok: true, needsRehash: false });
      verifyTimes.push(performance.now() - start);
      expect(await verifyPassword(`${PASSWORD}!`, stored)).toEqual({ ok: false, needsRehash: false });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    // Locally the clock advances during compute; on Cloudflare it only moves on I/O (a Spectre
    // mitigation), so this measurement is only meaningful here.
    console.log(
      `PBKDF2-SHA256 x${PASSWORD_HASH_PARAMS.iterations} in workerd: ` +
        `hash median ${median(hashTimes).toFixed(1)} ms, verify median ${median(verifyTimes).toFixed(1)} ms`,
    );
    expect(median(hashTimes)).toBeLessThan(2_000);
  });

  it("verifies DUMMY_HASH (same work) and always says no", async () => {
    expect(await verifyAgainstDummy(PASSWORD)).toEqual({ ok: false, needsRehash: false });
    expect(DUMMY_HASH).toContain(`$i=${PASSWORD_HASH_PARAMS.iterations}$`);
  });
});

describe("the PBKDF2 iteration cap", () => {
  const probe = async (iterations: number) => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("pw"), "PBKDF2", false, [
      "deriveBits",
    ]);
    try {
      const bits = await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16), iterations },
        key,
        256,
      );
      return { derivedBytes: bits.byteLength };
    } catch (error) {
      return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };

  it("100,000 iterations (our setting) derive in workerd", async () => {
    expect(await probe(100_000)).toEqual({ derivedBytes: 32 });
  });

  it("100,001: local workerd allows it, production Workers do not — so we refuse it ourselves", async () => {
    // Cloudflare's production runtime answers
    //   NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported
    //   (requested 100001).
    // The cap lives in workerd's LimitEnforcer, which open-source workerd (this test pool,
    // wrangler dev) leaves unlimited since cloudflare/workerd#1471; so locally it succeeds.
    // If this assertion starts failing with that NotSupportedError, workerd now enforces the cap
    // locally too: update the expectation, nothing else needs to change.
    expect(await probe(100_001)).toEqual({ derivedBytes: 32 });

    // pbkdf2Sha256 applies the production cap everywhere, before reaching WebCrypto.
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    await expect(pbkdf2Sha256(new Uint8Array(2), new Uint8Array(16), 100_001, 32)).rejects.toThrow(
      RangeError,
    );
    const salt = "AAAAAAAAAAAAAAAAAAAAAA";
    const key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await expect(verifyPassword(PASSWORD, `$pbkdf2-sha256$i=100001$${salt}$${key}`)).rejects.toThrow(
      "Unrecognised password hash format",
    );
  });
});

describe("TOTP in workerd", () => {
  it("matches RFC 6238 Appendix B (SHA1) in 8 and 6 digits, and verifies at those times", async () => {
    for (const vector of RFC6238_SHA1_VECTORS) {
      expect(await hotp(RFC_SECRET, vector.step, 8)).toBe(vector.totp8);
      expect(
        await verifyTotp({ secret: RFC_SECRET_BASE32, code: vector.totp8.slice(2), now: vector.time * 1000 }),
      ).toEqual({ ok: true, step: vector.step });
    }
  });

  it("enrols, verifies the current code and refuses its replay", async () => {
    const secret = generateTotpSecret();
    expect(totpUri({ secret, accountName: "alice@example.com", issuer: "Nexus Edge" })).toBe(
      `otpauth://totp/Nexus%20Edge:alice%40example.com?secret=${secret}&issuer=Nexus%20Edge` +
        "&algorithm=SHA1&digits=6&period=30",
    );
    const now = Date.now();
    const code = await hotp(decodeBase32(secret), totpStep(now));
    const first = await verifyTotp({ secret, code, now });
    expect(first).toEqual({ ok: true, step: totpStep(now) });
    expect(await verifyTotp({ secret, code, now, lastUsedStep: totpStep(now) })).toEqual({
      ok: false,
      reason: "replayed",
    });
    expect(await verifyTotp({ secret, code: "12345", now })).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("recovery codes in workerd", () => {
  it("generates, hashes and matches (normalised), once per index", async () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    const hashes: (string | null)[] = await Promise.all(codes.map(hashRecoveryCode));
    expect(await matchRecoveryCode(codes[4]!.toUpperCase().replaceAll("-", " "), hashes)).toBe(4);
    hashes[4] = null;
    expect(await matchRecoveryCode(codes[4]!, hashes)).toBe(-1);
    expect(await matchRecoveryCode(generateRecoveryCodes(1)[0]!, hashes)).toBe(-1);
  });
});
