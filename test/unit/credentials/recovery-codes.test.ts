import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase64 } from "../../../workers/api/auth/credentials/base64";
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  matchRecoveryCode,
  RECOVERY_CODE_COUNT,
} from "../../../workers/api/auth/credentials/recovery-codes";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;
const STORED = /^\$sha256\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("generateRecoveryCodes", () => {
  it("makes 10 distinct xxxx-xxxx-xxxx-xxxx codes by default", () => {
    const codes = generateRecoveryCodes();
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(FORMAT);
  });

  it("carries 80 bits per code: 16 symbols from an unambiguous 32-letter alphabet", () => {
    expect(new Set(ALPHABET).size).toBe(32);
    for (const confusable of "ilou") expect(ALPHABET).not.toContain(confusable);
    expect(16 * Math.log2(ALPHABET.length)).toBe(80);
  });

  it("draws every symbol uniformly (no modulo bias)", () => {
    const counts = new Map<string, number>();
    for (const code of generateRecoveryCodes(100).concat(
      ...Array.from({ length: 9 }, () => generateRecoveryCodes(100)),
    )) {
      for (const char of code.replaceAll("-", "")) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    // 16,000 symbols, 500 expected each, standard deviation ≈ 22: ±150 is about seven of them.
    expect([...counts.keys()].sort().join("")).toBe(ALPHABET);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(350);
      expect(count).toBeLessThan(650);
    }
  });

  it("honours a count and refuses a silly one", () => {
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    for (const count of [0, -1, 1.5, 101]) expect(() => generateRecoveryCodes(count)).toThrow(RangeError);
  });
});

describe("hashRecoveryCode", () => {
  it("stores SHA-256(salt ‖ normalised code) with a random 16-byte salt", async () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const stored = await hashRecoveryCode(code);
    expect(stored).toMatch(STORED);
    const [, , saltB64, hashB64] = stored.split("$") as [string, string, string, string];
    const salt = decodeBase64(saltB64)!;
    const expected = createHash("sha256")
      .update(salt)
      .update(code.replaceAll("-", ""))
      .digest("base64")
      .replace(/=+$/, "");
    expect(hashB64).toBe(expected);
  });

  it("salts each hash, so the same code stores differently", async () => {
    const [code] = generateRecoveryCodes(1) as [string];
    expect(await hashRecoveryCode(code)).not.toBe(await hashRecoveryCode(code));
  });

  it.each(["", "abcd-efgh", "7q2m-k9xd-3hfw-p0tu", "7q2m-k9xd-3hfw-p0ta-x"])(
    "refuses to hash %j, which is not a code",
    async (code) => {
      await expect(hashRecoveryCode(code)).rejects.toThrow(TypeError);
    },
  );
});

describe("matchRecoveryCode", () => {
  const codes = generateRecoveryCodes();
  const stored = Promise.all(codes.map(hashRecoveryCode));

  it("finds each code's index", async () => {
    const hashes = await stored;
    for (const [index, code] of codes.entries()) expect(await matchRecoveryCode(code, hashes)).toBe(index);
  });

  it("answers -1 for a code that is not there", async () => {
    const [other] = generateRecoveryCodes(1) as [string];
    expect(await matchRecoveryCode(other, await stored)).toBe(-1);
    expect(await matchRecoveryCode(codes[0]!, [])).toBe(-1);
  });

  it("skips consumed (null) entries and keeps indices stable", async () => {
    const hashes: (string | null)[] = [...(await stored)];
    hashes[3] = null;
    expect(await matchRecoveryCode(codes[3]!, hashes)).toBe(-1);
    expect(await matchRecoveryCode(codes[7]!, hashes)).toBe(7);
  });

  it("normalises case, spaces, dashes and Crockford look-alikes", async () => {
    const hashes = await stored;
    const code = "7q2m-k9xd-3hf1-p0ta";
    const withCode = [...hashes.slice(0, 4), await hashRecoveryCode(code)];
    for (const typed of [
      code,
      code.toUpperCase(),
      code.replaceAll("-", ""),
      code.replaceAll("-", " "),
      ` ${code.replaceAll("-", "  ")}\t`,
      "7Q2M K9XD 3HF1 P0TA",
      "7q2m-k9xd-3hfl-pota", // l → 1, o → 0
      "7q2m-k9xd-3hfI-pOta", // I → 1, O → 0
      "7q2mk9xd-3hf1p0ta",
    ]) {
      expect(await matchRecoveryCode(typed, withCode), typed).toBe(4);
    }
  });

  it.each([
    "",
    "7q2m-k9xd-3hf1",
    "7q2m-k9xd-3hf1-p0tu",
    "7q2m-k9xd-3hf1-p0ta-0",
    "x".repeat(65),
    "7q2m_k9xd_3hf1_p0ta",
  ])("answers -1 for malformed input %j without hashing anything", async (typed) => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    expect(await matchRecoveryCode(typed, await stored)).toBe(-1);
    expect(digest).not.toHaveBeenCalled();
  });

  it("refuses input over 64 characters even if it is mostly spaces", async () => {
    const padded = `${" ".repeat(60)}${codes[0]}`;
    expect(await matchRecoveryCode(padded, await stored)).toBe(-1);
  });

  it("compares against every unused entry, match or not (no early exit)", async () => {
    const hashes: (string | null)[] = [...(await stored)];
    hashes[5] = null;
    const digest = vi.spyOn(crypto.subtle, "digest");
    expect(await matchRecoveryCode(codes[0]!, hashes)).toBe(0);
    expect(digest).toHaveBeenCalledTimes(9);
  });

  it("returns the first index when a code was stored twice", async () => {
    const hashes = await stored;
    const twice = [hashes[1]!, hashes[2]!, await hashRecoveryCode(codes[2]!)];
    expect(await matchRecoveryCode(codes[2]!, twice)).toBe(1);
  });

  it.each([
    "",
    "not a hash",
    "$sha256$short$short",
    "$sha512$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  ])("throws on a corrupt stored entry %j", async (entry) => {
    await expect(matchRecoveryCode(codes[0]!, [entry])).rejects.toThrow(TypeError);
  });
});
