import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRegionKey, type RegionKey } from "../../regions/local/dev-keys";
import { PRIVATE_JWK_MEMBERS, withoutPrivateMembers } from "../../workers/api/auth/jwk";
import {
  checkKeySets,
  checkSigningKey,
  type Outcome,
  parseKeySets,
  publishKey,
  type RegionKeySets,
  retireKey,
} from "../../workers/api/auth/key-set";

const root = fileURLToPath(new URL("../..", import.meta.url));

let eu: RegionKey;
let euNext: RegionKey;
let lagos: RegionKey;
let sets: RegionKeySets;

beforeAll(async () => {
  [eu, euNext, lagos] = await Promise.all([
    generateRegionKey("eu"),
    generateRegionKey("eu"),
    generateRegionKey("lagos"),
  ]);
  sets = ok(parseKeySets({ eu: { keys: [eu.publicJwk] }, lagos: { keys: [lagos.publicJwk] } }));
});

function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`expected success: ${outcome.problems.join("; ")}`);
  return outcome.value;
}

function problems(outcome: Outcome<unknown>): string {
  if (outcome.ok) throw new Error("expected a refusal");
  return outcome.problems.join("\n");
}

const kids = (s: RegionKeySets) => ({
  eu: s.eu.keys.map((k) => k.kid),
  lagos: s.lagos.keys.map((k) => k.kid),
});

describe("key set model", () => {
  it("publishes a new key beside the current one, newest first, leaving other regions alone", () => {
    const next = ok(publishKey(sets, "eu", euNext.publicJwk));
    expect(kids(next)).toEqual({
      eu: [euNext.publicJwk.kid, eu.publicJwk.kid],
      lagos: [lagos.publicJwk.kid],
    });
    expect(kids(sets).eu).toEqual([eu.publicJwk.kid]); // the input is not mutated
    expect(ok(checkKeySets(next))).toEqual(next);
  });

  it("refuses to publish a private key, a kid already published, or a non-RS256 key", () => {
    expect(problems(publishKey(sets, "eu", euNext.privateJwk))).toMatch(/private key material \(d, p, q/);
    expect(problems(publishKey(sets, "lagos", eu.publicJwk))).toMatch(/already published by eu/);
    expect(problems(publishKey(sets, "eu", { ...euNext.publicJwk, alg: "RS512" }))).toMatch(/alg/);
    expect(problems(publishKey(sets, "eu", { ...euNext.publicJwk, kid: undefined }))).toMatch(/kid/);
    const weak = { ...euNext.publicJwk, n: (euNext.publicJwk.n as string).slice(0, 171) };
    expect(problems(publishKey(sets, "eu", weak))).toMatch(/2048 bits/);
  });

  it("retires an old key, never a region's last one or one it does not publish", () => {
    const rotating = ok(publishKey(sets, "eu", euNext.publicJwk));
    const retired = ok(retireKey(rotating, "eu", eu.publicJwk.kid as string));
    expect(kids(retired).eu).toEqual([euNext.publicJwk.kid]);
    expect(problems(retireKey(retired, "eu", euNext.publicJwk.kid as string))).toMatch(/last key/);
    expect(problems(retireKey(rotating, "eu", lagos.publicJwk.kid as string))).toMatch(/does not publish/);
  });

  it("checks the JWKS var: every region, RS256, unique kids, public members only", () => {
    const reasons = problems(
      checkKeySets({
        eu: { keys: [eu.publicJwk, { ...euNext.publicJwk, kid: eu.publicJwk.kid }] },
        lagos: { keys: [lagos.privateJwk] },
        mars: { keys: [] },
      }),
    );
    expect(reasons).toMatch(/eu\.keys\.1\.kid: .* is also the kid of eu\.keys\.0/);
    expect(reasons).toMatch(/lagos\.keys\.0: holds private key material/);
    expect(reasons).toMatch(/mars: unknown region/);
    expect(problems(checkKeySets({ eu: { keys: [eu.publicJwk] } }))).toMatch(/lagos: missing/);
    expect(problems(checkKeySets({ eu: { keys: [eu.publicJwk] }, lagos: { keys: [] } }))).toMatch(
      /lagos: no key published/,
    );
    // A region without keys is well formed (before its first key), just not deployable.
    expect(parseKeySets({ eu: { keys: [] }, lagos: { keys: [] } }).ok).toBe(true);
  });

  it("accepts a signing key only if its region publishes its public half under its kid", () => {
    expect(checkSigningKey(sets, "eu", eu.privateJwk)).toEqual([]);
    expect(checkSigningKey(sets, "eu", euNext.privateJwk).join()).toMatch(/does not publish kid/);
    expect(checkSigningKey(sets, "lagos", eu.privateJwk).join()).toMatch(/does not publish kid/);
    const impostor = { ...euNext.privateJwk, kid: eu.privateJwk.kid };
    expect(checkSigningKey(sets, "eu", impostor).join()).toMatch(/another key under kid/);
    expect(checkSigningKey(sets, "eu", eu.publicJwk).join()).toMatch(/signing key\.d/);
  });

  it("strips every private member from a key before it is served", () => {
    const served = withoutPrivateMembers({ ...eu.privateJwk, kty: "RSA", oth: [], k: "secret" });
    for (const member of PRIVATE_JWK_MEMBERS) expect(served).not.toHaveProperty(member);
    expect(served).toMatchObject({ kid: eu.privateJwk.kid, n: eu.privateJwk.n, e: "AQAB" });
  });
});

describe("npm run keys", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nexus-keys-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keys = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/keys.ts"), ...args],
        { cwd: dir },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  // Several tsx processes in a row: seconds each on a loaded 2-core machine.
  it("runs a rotation: generate, publish, check the signing key, retire; exit codes say what failed", {
    timeout: 30_000,
  }, async () => {
    const generated = await keys("generate", "--region", "eu", "--out", "eu-private.json");
    expect(generated.code).toBe(0);
    const publicJwk = JSON.parse(generated.stdout) as Record<string, unknown>;
    expect(publicJwk).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    for (const member of PRIVATE_JWK_MEMBERS) expect(publicJwk).not.toHaveProperty(member);
    const privateFile = join(dir, "eu-private.json");
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(privateFile, "utf8"))).toMatchObject({
      kid: publicJwk.kid,
      d: expect.any(String),
    });
    expect((await keys("generate", "--region", "eu", "--out", "eu-private.json")).code).toBe(2);

    writeFileSync(join(dir, "eu-public.json"), generated.stdout);
    writeFileSync(join(dir, "jwks.json"), JSON.stringify(sets));
    const published = await keys(
      "publish",
      "--region",
      "eu",
      "--jwks",
      "jwks.json",
      "--add",
      "eu-public.json",
    );
    expect(published.code).toBe(0);
    const rotating = JSON.parse(published.stdout) as RegionKeySets;
    expect(kids(rotating).eu).toEqual([publicJwk.kid, eu.publicJwk.kid]);
    expect(published.stderr).toMatch(/wait ≥ 20 min/);

    writeFileSync(join(dir, "rotating.json"), published.stdout);
    const check = ["check", "--jwks", "rotating.json", "--region", "eu", "--signing-key"];
    expect((await keys(...check, "eu-private.json")).code).toBe(0);
    const notPublished = await keys(
      "check",
      "--jwks",
      "jwks.json",
      "--region",
      "eu",
      "--signing-key",
      "eu-private.json",
    );
    expect(notPublished.code).toBe(1);
    expect(notPublished.stderr).toMatch(/eu does not publish kid/);

    const retired = await keys(
      "retire",
      "--region",
      "eu",
      "--jwks",
      published.stdout,
      "--kid",
      eu.publicJwk.kid as string,
    );
    expect(retired.code).toBe(0);
    expect(kids(JSON.parse(retired.stdout) as RegionKeySets).eu).toEqual([publicJwk.kid]);
    const last = await keys(
      "retire",
      "--region",
      "eu",
      "--jwks",
      retired.stdout,
      "--kid",
      publicJwk.kid as string,
    );
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/refusing to retire eu's last key/);
    expect(last.stdout).toBe("");
  });

  // Several tsx processes in a row: seconds each on a loaded 2-core machine.
  it("answers bad usage with exit 2 and the usage, and leaked private material with exit 1", {
    timeout: 30_000,
  }, async () => {
    const unknown = await keys("publish", "--region", "mars", "--jwks", "{}", "--add", "x.json");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--region: must be one of eu, lagos/);
    expect(unknown.stderr).toMatch(/usage: npm run -s keys/);
    expect((await keys("rotate")).code).toBe(2);
    expect((await keys("check", "--jwks", "missing.json")).code).toBe(2);
    const leaked = await keys(
      "check",
      "--jwks",
      JSON.stringify({ ...sets, lagos: { keys: [lagos.privateJwk] } }),
    );
    expect(leaked.code).toBe(1);
    expect(leaked.stderr).toMatch(/lagos\.keys\.0: holds private key material/);
    expect(leaked.stderr).not.toContain(lagos.privateJwk.d as string);
  });
});
