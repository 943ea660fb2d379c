import { pbkdf2Sync } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DUMMY_HASH,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../../../workers/api/auth/credentials/password";
import {
  formatPasswordHash,
  parsePasswordHash,
} from "../../../workers/api/auth/credentials/password-hash-format";
import { PasswordPolicyError } from "../../../workers/api/auth/credentials/password-policy";
import { PBKDF2_MAX_ITERATIONS, pbkdf2Sha256 } from "../../../workers/api/auth/credentials/pbkdf2";

const PASSWORD = "correct horse battery staple";
const PHC = /^\$pbkdf2-sha256\$i=100000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const hex = (data: Uint8Array) => Buffer.from(data).toString("hex");
const b64 = (data: Uint8Array) => Buffer.from(data).toString("base64").replace(/=+$/, "");

/** A stored hash built with node:crypto, an implementation independent of the one under test. */
function nodeHash(password: string, iterations: number, saltBytes = 16, keyBytes = 32): string {
  const salt = crypto.getRandomValues(new Uint8Array(saltBytes));
  const hash = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, keyBytes, "sha256");
  return `$pbkdf2-sha256$i=${iterations}$${b64(salt)}$${b64(hash)}`;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("pbkdf2Sha256", () => {
  it("matches the RFC 7914 §11 PBKDF2-HMAC-SHA256 vectors", async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(hex(await pbkdf2Sha256(enc("passwd"), enc("salt"), 1, 64))).toBe(
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    );
    expect(hex(await pbkdf2Sha256(enc("Password"), enc("NaCl"), 80_000, 64))).toBe(
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
        "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
    );
  });

  it.each([PBKDF2_MAX_ITERATIONS + 1, 0, -1, 1.5, Number.NaN])(
    "refuses %s iterations before calling WebCrypto (the Workers production cap is 100,000)",
    async (iterations) => {
      const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
      await expect(pbkdf2Sha256(new Uint8Array(1), new Uint8Array(16), iterations, 32)).rejects.toThrow(
        RangeError,
      );
      expect(deriveBits).not.toHaveBeenCalled();
    },
  );
});

describe("hashPassword", () => {
  it("produces a PHC string with 100,000 iterations, 16-byte salt and 32-byte key", async () => {
    expect(PASSWORD_HASH_PARAMS).toEqual({ iterations: 100_000, saltBytes: 16, keyBytes: 32 });
    expect(PASSWORD_HASH_PARAMS.iterations).toBe(PBKDF2_MAX_ITERATIONS);
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(PHC);
    const record = parsePasswordHash(stored)!;
    expect(record.salt).toHaveLength(16);
    expect(record.hash).toHaveLength(32);
  });

  it("agrees with node:crypto's PBKDF2 on the same salt", async () => {
    const record = parsePasswordHash(await hashPassword(PASSWORD))!;
    const expected = pbkdf2Sync(PASSWORD, record.salt, 100_000, 32, "sha256");
    expect(hex(record.hash)).toBe(expected.toString("hex"));
  });

  it("uses a fresh salt each time", async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(parsePasswordHash(a)!.salt).not.toEqual(parsePasswordHash(b)!.salt);
  });

  it("does not apply the length policy (that is checkPasswordPolicy's job)", async () => {
    expect((await verifyPassword("short", await hashPassword("short"))).ok).toBe(true);
  });

  it("throws PasswordPolicyError(too_long) rather than hash over 1024 bytes", async () => {
    const error = await hashPassword("a".repeat(1025)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect((error as PasswordPolicyError).violation).toBe("too_long");
    await expect(hashPassword("a".repeat(1024))).resolves.toMatch(PHC);
  });
});

describe("verifyPassword", () => {
  it("accepts the right password and nothing else", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toEqual({ ok: true, needsRehash: false });
    for (const wrong of ["", "correct horse battery stapl", `${PASSWORD} `, "Correct horse battery staple"]) {
      expect(await verifyPassword(wrong, stored)).toEqual({ ok: false, needsRehash: false });
    }
  });

  it("verifies a hash written by node:crypto (the format is the contract)", async () => {
    const stored = nodeHash(PASSWORD, 100_000);
    expect(await verifyPassword(PASSWORD, stored)).toEqual({ ok: true, needsRehash: false });
  });

  it("treats NFKC-equivalent spellings as the same password", async () => {
    const stored = await hashPassword("caf\u00e9 ｐａｓｓｗｏｒｄ");
    expect((await verifyPassword("cafe\u0301 password", stored)).ok).toBe(true);
  });

  it.each([
    ["fewer iterations", () => nodeHash(PASSWORD, 50_000)],
    ["a shorter salt", () => nodeHash(PASSWORD, 100_000, 8)],
    ["a shorter key", () => nodeHash(PASSWORD, 100_000, 16, 20)],
  ])("asks for a rehash when the stored hash has %s", async (_why, make) => {
    const stored = make();
    expect(await verifyPassword(PASSWORD, stored)).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPassword("wrong password!", stored)).toEqual({ ok: false, needsRehash: false });
  });

  it("does not ask for a rehash of a longer salt or key than current", async () => {
    expect(await verifyPassword(PASSWORD, nodeHash(PASSWORD, 100_000, 32, 64))).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it("rejects a password over 1024 bytes without any PBKDF2 work", async () => {
    const stored = await hashPassword(PASSWORD);
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    expect(await verifyPassword("a".repeat(5000), stored)).toEqual({ ok: false, needsRehash: false });
    expect(deriveBits).not.toHaveBeenCalled();
  });

  const salt = b64(new Uint8Array(16).fill(7));
  const key = b64(new Uint8Array(32).fill(9));
  it.each([
    ["empty", ""],
    ["bcrypt", "$2b$12$C6UzMDM.H6dfI/f/IKxGhuS.e6vu1X0q1T3h7Oe6zXjWdzq1rN1Ue"],
    ["another algorithm", `$pbkdf2-sha512$i=100000$${salt}$${key}`],
    ["over the iteration cap", `$pbkdf2-sha256$i=100001$${salt}$${key}`],
    ["a huge iteration count", `$pbkdf2-sha256$i=9999999999$${salt}$${key}`],
    ["zero iterations", `$pbkdf2-sha256$i=0$${salt}$${key}`],
    ["a leading zero", `$pbkdf2-sha256$i=0100000$${salt}$${key}`],
    ["a padded salt", `$pbkdf2-sha256$i=100000$${salt}==$${key}`],
    ["a URL-safe hash", `$pbkdf2-sha256$i=100000$${salt}$${key.replace(/[+/]/g, "_")}_`],
    ["a 4-byte salt", `$pbkdf2-sha256$i=100000$${b64(new Uint8Array(4))}$${key}`],
    ["an 8-byte key", `$pbkdf2-sha256$i=100000$${salt}$${b64(new Uint8Array(8))}`],
    ["trailing text", `$pbkdf2-sha256$i=100000$${salt}$${key}$`],
    ["a missing field", `$pbkdf2-sha256$i=100000$${key}`],
  ])("throws on a stored hash with %s (corrupt data, not a wrong password)", async (_why, stored) => {
    await expect(verifyPassword(PASSWORD, stored)).rejects.toThrow("Unrecognised password hash format");
  });

  it("round-trips the format", () => {
    const record = parsePasswordHash(`$pbkdf2-sha256$i=100000$${salt}$${key}`)!;
    expect(record.iterations).toBe(100_000);
    expect(formatPasswordHash(record)).toBe(`$pbkdf2-sha256$i=100000$${salt}$${key}`);
  });
});

describe("no account enumeration by timing", () => {
  it("DUMMY_HASH uses exactly the current parameters, so it costs what a real hash costs", () => {
    const record = parsePasswordHash(DUMMY_HASH)!;
    expect(record).not.toBeNull();
    expect(record.iterations).toBe(PASSWORD_HASH_PARAMS.iterations);
    expect(record.salt).toHaveLength(PASSWORD_HASH_PARAMS.saltBytes);
    expect(record.hash).toHaveLength(PASSWORD_HASH_PARAMS.keyBytes);
  });

  it("verifyAgainstDummy does the same PBKDF2 work as a real verification and always says no", async () => {
    const stored = await hashPassword(PASSWORD);
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    await verifyPassword("wrong password!", stored);
    expect(await verifyAgainstDummy("wrong password!")).toEqual({ ok: false, needsRehash: false });
    expect(deriveBits).toHaveBeenCalledTimes(2);
    const [real, dummy] = deriveBits.mock.calls;
    expect(dummy![0]).toMatchObject({ name: "PBKDF2", hash: "SHA-256", iterations: 100_000 });
    expect(dummy![0]).toMatchObject({ iterations: (real![0] as Pbkdf2Params).iterations });
    expect(dummy![2]).toBe(real![2]);
  });
});

describe("cost in Node", () => {
  it("hashes and verifies in tens of milliseconds (median of 5 reported)", async () => {
    const hashTimes: number[] = [];
    const verifyTimes: number[] = [];
    let stored = "";
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      stored = await hashPassword(PASSWORD);
      hashTimes.push(performance.now() - start);
      start = performance.now();
      expect((await verifyPassword(PASSWORD, stored)).ok).toBe(true);
      verifyTimes.push(performance.now() - start);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    console.log(
      `PBKDF2-SHA256 x${PASSWORD_HASH_PARAMS.iterations} in Node ${process.version}: ` +
        `hash median ${median(hashTimes).toFixed(1)} ms, verify median ${median(verifyTimes).toFixed(1)} ms`,
    );
    // Generous ceiling: only catches something badly wrong (a JS fallback, a runaway count).
    expect(median(hashTimes)).toBeLessThan(2_000);
  });
});
