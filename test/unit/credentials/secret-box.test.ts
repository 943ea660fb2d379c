import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openSecret, sealSecret } from "../../../workers/api/auth/credentials/secret-box";

const key = randomBytes(32).toString("base64");

describe("secret box (AES-256-GCM for secrets at rest)", () => {
  it("round-trips, with a fresh IV each time", async () => {
    const a = await sealSecret(key, "JBSWY3DPEHPK3PXP", "user-1");
    const b = await sealSecret(key, "JBSWY3DPEHPK3PXP", "user-1");
    expect(a).toMatch(/^v1\./);
    expect(a).not.toBe(b);
    expect(await openSecret(key, a, "user-1")).toBe("JBSWY3DPEHPK3PXP");
  });

  it("refuses a ciphertext moved to another row, a tampered one, and another key", async () => {
    const sealed = await sealSecret(key, "secret", "user-1");
    await expect(openSecret(key, sealed, "user-2")).rejects.toThrow();
    const [v, iv, body = ""] = sealed.split(".");
    const flipped = `${v}.${iv}.${body.startsWith("A") ? `B${body.slice(1)}` : `A${body.slice(1)}`}`;
    await expect(openSecret(key, flipped, "user-1")).rejects.toThrow();
    await expect(openSecret(randomBytes(32).toString("base64"), sealed, "user-1")).rejects.toThrow();
    await expect(openSecret(key, "plain-text-seed", "user-1")).rejects.toThrow(TypeError);
  });

  it("refuses a key that is not 32 bytes", async () => {
    await expect(sealSecret(randomBytes(16).toString("base64"), "x", "u")).rejects.toThrow(/32 bytes/);
  });
});
