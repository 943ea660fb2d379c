import { describe, expect, it } from "vitest";
import { encodePassword, MAX_PASSWORD_BYTES } from "../../../workers/api/auth/credentials/password-input";
import {
  checkPasswordPolicy,
  findPasswordPolicyViolation,
  MIN_PASSWORD_CHARS,
  PasswordPolicyError,
} from "../../../workers/api/auth/credentials/password-policy";

describe("encodePassword", () => {
  it("normalises with NFKC, so equivalent spellings give the same bytes", () => {
    const composed = encodePassword("caf\u00e9 passphrase");
    expect(encodePassword("cafe\u0301 passphrase")).toEqual(composed);
    expect(encodePassword("ｆｕｌｌｗｉｄｔｈ")).toEqual(encodePassword("fullwidth"));
    expect(encodePassword("\ufb01ne")).toEqual(encodePassword("fine"));
    expect(new TextDecoder().decode(composed!)).toBe("caf\u00e9 passphrase");
  });

  it("accepts exactly MAX_PASSWORD_BYTES bytes and refuses one more", () => {
    expect(MAX_PASSWORD_BYTES).toBe(1024);
    expect(encodePassword("a".repeat(1024))).toHaveLength(1024);
    expect(encodePassword("a".repeat(1025))).toBeNull();
    expect(encodePassword(`${"a".repeat(1022)}\u00e9`)).toHaveLength(1024); // é is 2 bytes
    expect(encodePassword(`${"a".repeat(1023)}\u00e9`)).toBeNull();
    expect(encodePassword("\u20ac".repeat(341))).toHaveLength(1023); // € is 3 bytes
    expect(encodePassword("\u20ac".repeat(342))).toBeNull();
    expect(encodePassword("😀".repeat(256))).toHaveLength(1024); // 4 bytes, 2 UTF-16 units
    expect(encodePassword("😀".repeat(257))).toBeNull();
  });

  it("counts bytes after NFKC, which can expand text", () => {
    // U+FDFA is one code unit but 18 code points (33 UTF-8 bytes) after NFKC.
    expect(encodePassword("\ufdfa".repeat(31))).toHaveLength(1023);
    expect(encodePassword("\ufdfa".repeat(32))).toBeNull();
  });

  it("refuses huge input without normalising it", () => {
    expect(encodePassword("a".repeat(10_000_000))).toBeNull();
  });
});

describe("password policy", () => {
  it("requires at least 12 characters", () => {
    expect(MIN_PASSWORD_CHARS).toBe(12);
    expect(checkPasswordPolicy("a".repeat(11))).toBe("Password must be at least 12 characters");
    expect(findPasswordPolicyViolation("a".repeat(11))).toBe("too_short");
    expect(findPasswordPolicyViolation("zq8#Lm2v!pW9")).toBeNull();
    expect(findPasswordPolicyViolation("zq8#Lm2v!pW")).toBe("too_short");
    expect(checkPasswordPolicy("")).toBe("Password must be at least 12 characters");
  });

  it("counts code points of the NFKC form, not UTF-16 units or typed marks", () => {
    expect(checkPasswordPolicy("😀".repeat(11))).not.toBeNull(); // 22 UTF-16 units, 11 characters
    expect(checkPasswordPolicy("😀🎉🐙🚀🌵🍕🎸🦊🌈⚡🧩🔑")).toBeNull();
    expect(checkPasswordPolicy("e\u0301".repeat(11))).not.toBeNull(); // 22 typed, 11 after NFKC
    expect(findPasswordPolicyViolation("\ufb01q8#Lm2v!pW")).toBeNull(); // "ﬁ" becomes "fi": 12
    expect(findPasswordPolicyViolation("\ufb01q8#Lm2v!p")).toBe("too_short");
  });

  it("has no composition rules: a long passphrase of spaces and words is fine", () => {
    expect(checkPasswordPolicy("correct horse battery staple")).toBeNull();
    expect(checkPasswordPolicy("a long and sturdy passphrase")).toBeNull();
  });

  it("refuses common and breached passwords and simple variations of them, saying why", () => {
    for (const guessable of [
      "password1234",
      "Password123!",
      "qwertyuiop12",
      "iloveyou2024",
      "a".repeat(12),
      "            ",
      "abcdefghijkl",
      "123456789012",
    ]) {
      expect(findPasswordPolicyViolation(guessable), guessable).toBe("too_guessable");
    }
    expect(checkPasswordPolicy("password1234")).toMatch(/too easy to guess.*common or breached password/);
  });

  it("refuses over 1024 bytes", () => {
    expect(findPasswordPolicyViolation("a".repeat(1025))).toBe("too_long");
    expect(checkPasswordPolicy("a".repeat(1025))).toBe("Password must be at most 1024 bytes");
    expect(checkPasswordPolicy("a".repeat(1024))).toBe(checkPasswordPolicy("password1234"));
    expect(findPasswordPolicyViolation(`zq8#Lm2v!pW9 ${"a".repeat(1011)}`)).toBeNull();
  });

  it("refuses lone surrogates, which would hash as U+FFFD", () => {
    expect(findPasswordPolicyViolation(`long enough \ud800 pass`)).toBe("invalid_characters");
    expect(findPasswordPolicyViolation(`long enough \udc00 pass`)).toBe("invalid_characters");
    expect(findPasswordPolicyViolation("long enough 😀 pass")).toBeNull();
  });

  it("PasswordPolicyError carries the violation and its message", () => {
    const error = new PasswordPolicyError("too_long");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("PasswordPolicyError");
    expect(error.violation).toBe("too_long");
    expect(error.message).toBe("Password must be at most 1024 bytes");
  });
});
