import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase32 } from "../../../workers/api/auth/credentials/base32";
import { hotp } from "../../../workers/api/auth/credentials/hotp";
import {
  generateTotpSecret,
  TOTP_PERIOD_SECONDS,
  totpStep,
  totpUri,
  verifyTotp,
} from "../../../workers/api/auth/credentials/totp";
import { RFC_SECRET, RFC_SECRET_BASE32, RFC6238_SHA1_VECTORS } from "./rfc-vectors";

const secret = RFC_SECRET_BASE32;
const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;
const codeAt = (step: number) => hotp(RFC_SECRET, step, 6);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("generateTotpSecret", () => {
  it("returns 20 random bytes as unpadded upper-case base32", () => {
    const secrets = new Set(Array.from({ length: 50 }, generateTotpSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Z2-7]{32}$/);
      expect(decodeBase32(s)).toHaveLength(20);
    }
  });
});

describe("totpStep", () => {
  it("counts 30 s steps from the epoch (RFC 6238 T)", () => {
    for (const vector of RFC6238_SHA1_VECTORS) expect(totpStep(vector.time * 1000)).toBe(vector.step);
    expect(totpStep(0)).toBe(0);
    expect(totpStep(PERIOD_MS - 1)).toBe(0);
    expect(totpStep(PERIOD_MS)).toBe(1);
  });
});

describe("totpUri", () => {
  it("builds the Key URI Format string with every parameter", () => {
    expect(totpUri({ secret, accountName: "alice@example.com", issuer: "Nexus Edge" })).toBe(
      `otpauth://totp/Nexus%20Edge:alice%40example.com?secret=${secret}&issuer=Nexus%20Edge` +
        "&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("percent-encodes issuer and account so they parse back exactly", () => {
    const issuer = "Ünïcode & Co/Ops?#";
    const accountName = "bob+tag@example.com";
    const uri = new URL(totpUri({ secret, accountName, issuer }));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe(`/${issuer}:${accountName}`);
    expect(uri.pathname.split(":")).toHaveLength(2);
    expect(uri.search).not.toContain("+");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret,
      issuer,
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });

  it("writes the secret in canonical form", () => {
    expect(totpUri({ secret: "mzxw6ytboi======", accountName: "a", issuer: "b" })).toContain(
      "secret=MZXW6YTBOI&",
    );
  });

  it.each([
    { issuer: "Acme:Corp", accountName: "alice" },
    { issuer: "Acme", accountName: "ali:ce" },
    { issuer: "", accountName: "alice" },
    { issuer: "Acme", accountName: "  " },
  ])("refuses issuer $issuer / account $accountName", (input) => {
    expect(() => totpUri({ secret, ...input })).toThrow(TypeError);
  });

  it("refuses a malformed secret", () => {
    expect(() => totpUri({ secret: "not base32!", accountName: "a", issuer: "b" })).toThrow(TypeError);
  });
});

describe("verifyTotp", () => {
  it.each(RFC6238_SHA1_VECTORS)("accepts the RFC 6238 code at T=$time s", async (vector) => {
    const result = await verifyTotp({ secret, code: vector.totp8.slice(2), now: vector.time * 1000 });
    expect(result).toEqual({ ok: true, step: vector.step });
  });

  it("accepts a freshly generated secret's current code with the default clock", async () => {
    const fresh = generateTotpSecret();
    const step = totpStep(Date.now());
    const code = await hotp(decodeBase32(fresh), step);
    const result = await verifyTotp({ secret: fresh, code });
    // The step may roll over between the two lines; ±1 covers that.
    expect(result.ok).toBe(true);
  });

  describe("window: now ±1 step", () => {
    const step = 37_037_037; // 2005-03-18T01:58:30Z, the start of a step
    for (const [edge, now] of [
      ["first ms", step * PERIOD_MS],
      ["middle", step * PERIOD_MS + PERIOD_MS / 2],
      ["last ms", (step + 1) * PERIOD_MS - 1],
    ] as const) {
      it.each([
        [-2, false],
        [-1, true],
        [0, true],
        [1, true],
        [2, false],
      ])(`at the step's ${edge}, offset %i accepted: %s`, async (offset, accepted) => {
        const result = await verifyTotp({ secret, code: await codeAt(step + offset), now });
        expect(result).toEqual(
          accepted ? { ok: true, step: step + offset } : { ok: false, reason: "invalid" },
        );
      });
    }
  });

  it("never looks at negative steps near the epoch", async () => {
    expect(await verifyTotp({ secret, code: await codeAt(0), now: 0 })).toEqual({ ok: true, step: 0 });
    expect(await verifyTotp({ secret, code: await codeAt(1), now: 0 })).toEqual({ ok: true, step: 1 });
  });

  it("refuses a wrong code as invalid", async () => {
    const now = 1_111_111_111_000;
    const valid = new Set(await Promise.all([-1, 0, 1].map((o) => codeAt(totpStep(now) + o))));
    const wrong = ["000000", "123456", "999999"].find((c) => !valid.has(c))!;
    expect(await verifyTotp({ secret, code: wrong, now })).toEqual({ ok: false, reason: "invalid" });
  });

  describe("replay refusal", () => {
    const now = 1_234_567_890_000;
    const step = totpStep(now);

    it("refuses the code of the step last used", async () => {
      const code = await codeAt(step);
      const first = await verifyTotp({ secret, code, now });
      expect(first).toEqual({ ok: true, step });
      if (!first.ok) return;
      const again = await verifyTotp({ secret, code, now: now + 5_000, lastUsedStep: first.step });
      expect(again).toEqual({ ok: false, reason: "replayed" });
    });

    it("refuses an older code once a newer one was used", async () => {
      const older = await verifyTotp({ secret, code: await codeAt(step - 1), now, lastUsedStep: step });
      expect(older).toEqual({ ok: false, reason: "replayed" });
      const afterFuture = await verifyTotp({ secret, code: await codeAt(step), now, lastUsedStep: step + 1 });
      expect(afterFuture).toEqual({ ok: false, reason: "replayed" });
    });

    it("accepts the next step's code after the previous step was used", async () => {
      const next = await verifyTotp({ secret, code: await codeAt(step + 1), now, lastUsedStep: step });
      expect(next).toEqual({ ok: true, step: step + 1 });
      const fresh = await verifyTotp({ secret, code: await codeAt(step), now, lastUsedStep: step - 1 });
      expect(fresh).toEqual({ ok: true, step });
    });

    it("treats null and undefined lastUsedStep as never used", async () => {
      const code = await codeAt(step);
      expect(await verifyTotp({ secret, code, now, lastUsedStep: null })).toEqual({ ok: true, step });
      expect(await verifyTotp({ secret, code, now, lastUsedStep: undefined })).toEqual({ ok: true, step });
    });

    it("still says invalid, not replayed, for a wrong code", async () => {
      const valid = new Set(await Promise.all([-1, 0, 1].map((o) => codeAt(step + o))));
      const wrong = ["000000", "111111", "222222"].find((c) => !valid.has(c))!;
      expect(await verifyTotp({ secret, code: wrong, now, lastUsedStep: step })).toEqual({
        ok: false,
        reason: "invalid",
      });
    });
  });

  it.each([
    "",
    "12345",
    "1234567",
    "94287082",
    "12345a",
    "123 456",
    " 123456",
    "123456\n",
    "+12345",
    "-12345",
    "1e+05",
    "１２３４５６",
    "٣٣٣٣٣٣",
  ])("refuses %j as malformed without computing any HMAC", async (code) => {
    const sign = vi.spyOn(crypto.subtle, "sign");
    expect(await verifyTotp({ secret, code, now: 59_000 })).toEqual({ ok: false, reason: "malformed" });
    expect(sign).not.toHaveBeenCalled();
  });

  it("refuses a non-string code as malformed", async () => {
    const code = 287082 as unknown as string;
    expect(await verifyTotp({ secret, code, now: 59_000 })).toEqual({ ok: false, reason: "malformed" });
  });

  it("computes and compares all three steps whichever matches (no early exit)", async () => {
    const sign = vi.spyOn(crypto.subtle, "sign");
    const now = 1_111_111_111_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) {
      const code = await codeAt(step + offset);
      sign.mockClear();
      await verifyTotp({ secret, code, now });
      expect(sign).toHaveBeenCalledTimes(3);
    }
  });

  it("throws on a malformed stored secret (a server fault, not a wrong code)", async () => {
    await expect(verifyTotp({ secret: "0000", code: "123456" })).rejects.toThrow(TypeError);
  });
});
