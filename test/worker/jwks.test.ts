import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { PRIVATE_JWK_MEMBERS } from "../../workers/api/auth/jwk";
import { call, callWith as callWithBindings, signingKeys, tokenFor } from "./helpers";

const JWKS_PATH = "/.well-known/jwks.json";

interface JwkSet {
  keys: JWK[];
}

/** The JWKS binding the Worker under test got: eu mid-rotation (current and previous key), lagos. */
const published = () => JSON.parse(inject("jwks")) as Record<"eu" | "lagos", JwkSet>;

/** The same Worker with other bindings (another deployment of the region), unauthenticated unless a token is given. */
const callWith = (overrides: Partial<Env>, path: string, token?: string) =>
  callWithBindings(overrides, path, { token: token ?? null });

/** A key nobody published, under a name of its own or a published key's name. */
async function unpublishedKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

const contacts = (token: string) => call("/api/v1/crm/contacts", { token });

describe("GET /.well-known/jwks.json", () => {
  it("serves exactly this region's public keys, cacheable for 5 minutes", async () => {
    const res = await call(JWKS_PATH, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const body = (await res.json()) as JwkSet;
    expect(body).toEqual({ keys: published().eu.keys });
    const { eu, euPrevious, lagos } = signingKeys();
    expect(body.keys.map((k) => k.kid)).toEqual([eu.kid, euPrevious.kid]);
    expect(body.keys.map((k) => k.kid)).not.toContain(lagos.kid);
    for (const key of body.keys) {
      for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });

  it("lets any verifier check this region's tokens, from either published key", async () => {
    const keySet = createLocalJWKSet((await (await call(JWKS_PATH, { token: null })).json()) as JwkSet);
    for (const signingKey of [signingKeys().eu, signingKeys().euPrevious]) {
      const { protectedHeader } = await jwtVerify(await tokenFor({ signingKey }), keySet, {
        algorithms: ["RS256"],
      });
      expect(protectedHeader.kid).toBe(signingKey.kid);
    }
  });

  it("serves the lagos keys, and only those, from the lagos region", async () => {
    // A lagos Worker signs with a lagos key (its configuration refuses a key it does not publish).
    const res = await callWith(
      { REGION: "lagos", JWT_SIGNING_KEY: JSON.stringify(signingKeys().lagos) },
      JWKS_PATH,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keys: published().lagos.keys });
  });

  it("refuses to start with a signing key whose kid the region does not publish", async () => {
    // The eu key in the lagos region: every verifier would refuse what it signs.
    const res = await callWith({ REGION: "lagos" }, JWKS_PATH);
    expect(res.status).toBe(500);
  });

  it("is documented in the OpenAPI document", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths[JWKS_PATH] ?? {})).toEqual(["get"]);
    expect(doc.components.schemas).toHaveProperty("JwkSet");
  });
});

describe("signing key rotation (SECURITY.md: Tokens)", () => {
  it("accepts tokens signed by either of two published keys of the region", async () => {
    expect((await contacts(await tokenFor())).status).toBe(200);
    expect((await contacts(await tokenFor({ signingKey: signingKeys().euPrevious }))).status).toBe(200);
  });

  it("refuses a token signed by a key the region does not publish, whatever kid it claims", async () => {
    for (const kid of ["eu-never-published", signingKeys().euPrevious.kid as string]) {
      const res = await contacts(await tokenFor({ signingKey: await unpublishedKey(kid) }));
      expect(res.status).toBe(401);
    }
  });

  it("stops verifying a key once it is retired, while its successor keeps working", async () => {
    const current = published().eu.keys.filter((k) => k.kid === signingKeys().eu.kid);
    const afterRetire = { JWKS: JSON.stringify({ ...published(), eu: { keys: current } }) };
    const contactsPath = "/api/v1/crm/contacts";

    const previous = await callWith(
      afterRetire,
      contactsPath,
      await tokenFor({ signingKey: signingKeys().euPrevious }),
    );
    expect(previous.status).toBe(401);
    expect(previous.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect((await callWith(afterRetire, contactsPath, await tokenFor())).status).toBe(200);
    const served = (await (await callWith(afterRetire, JWKS_PATH)).json()) as JwkSet;
    expect(served.keys.map((k) => k.kid)).toEqual([signingKeys().eu.kid]);
  });
});

describe("a JWKS var holding private key material", () => {
  it("is refused as a configuration error: nothing is served, nothing leaks", async () => {
    const leaked = signingKeys().eu;
    const JWKS = JSON.stringify({ ...published(), eu: { keys: [leaked, ...published().eu.keys] } });
    for (const path of [JWKS_PATH, "/api/v1/crm/contacts"]) {
      const res = await callWith({ JWKS }, path, await tokenFor());
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).toMatch(/INTERNAL_ERROR/);
      expect(text).not.toContain(leaked.d as string);
      expect(text).not.toMatch(/JWKS|private/);
    }
  });
});
