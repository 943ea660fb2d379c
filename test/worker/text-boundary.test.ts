import { describe, expect, it } from "vitest";
import { call, envelope } from "./helpers";
import { CLI, CLI_REDIRECT, openSignIn, pkcePair, postAuthorize, tokenRequest } from "./oauth-helpers";

// Text Postgres cannot store, or that is not what the client sent, is refused at the edge with
// 400 for every body, query string and form: never a 500, never stored altered.

const CONTACTS = "/api/v1/crm/contacts";

function postBytes(path: string, bytes: Uint8Array) {
  return call(path, { method: "POST", body: bytes, headers: { "Content-Type": "application/json" } });
}

async function expectRefused(res: Response, field?: string) {
  expect(res.status).toBe(400);
  const body = await envelope(res);
  expect(body.status).toBe("error");
  if (field !== undefined) expect(body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field });
  return body;
}

describe("text rules of JSON bodies", () => {
  it("refuses NUL in a string field, in a nested one and in a key", async () => {
    await expectRefused(
      await call(CONTACTS, { method: "POST", json: { first_name: "Ada\u0000" } }),
      "first_name",
    );
    await expectRefused(
      await call(CONTACTS, { method: "POST", json: { first_name: "Ada", tags: ["ok", "b\u0000d"] } }),
      "tags.1",
    );
    const key = await expectRefused(
      await call(CONTACTS, { method: "POST", json: { first_name: "Ada", custom_fields: { "a\u0000": 1 } } }),
    );
    expect(key.errors?.[0]?.message).toMatch(/NUL/);
  });

  it("refuses a lone surrogate", async () => {
    // JSON.stringify writes a lone surrogate as the escape \ud800: valid JSON, not valid Unicode.
    const body = await expectRefused(
      await call(CONTACTS, { method: "POST", json: { first_name: "A\ud800" } }),
      "first_name",
    );
    expect(body.errors?.[0]?.message).toMatch(/surrogate/);
  });

  it("refuses invalid UTF-8 instead of storing U+FFFD", async () => {
    const head = new TextEncoder().encode('{"first_name":"Ad');
    const tail = new TextEncoder().encode('a"}');
    const bytes = new Uint8Array([...head, 0xff, 0xfe, ...tail]);
    const res = await postBytes(CONTACTS, bytes);
    expect(res.status).toBe(400);
    expect((await envelope(res)).errors?.[0]).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/UTF-8/),
    });
    // An encoded surrogate (CESU-style ED A0 80) is not UTF-8 either.
    const cesu = new Uint8Array([...head, 0xed, 0xa0, 0x80, ...tail]);
    expect((await postBytes(CONTACTS, cesu)).status).toBe(400);
  });

  it("refuses a body that starts with a byte order mark", async () => {
    const json = new TextEncoder().encode(JSON.stringify({ first_name: "Bom" }));
    const res = await postBytes(CONTACTS, new Uint8Array([0xef, 0xbb, 0xbf, ...json]));
    expect(res.status).toBe(400);
    expect((await envelope(res)).errors?.[0]).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/byte order mark/),
    });
  });

  it("refuses nesting deeper than 32 levels, __proto__ keys and numbers it cannot hold exactly", async () => {
    const deep = `{"first_name":"Deep","custom_fields":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
    const nested = await postBytes(CONTACTS, new TextEncoder().encode(deep));
    expect((await expectRefused(nested)).errors?.[0]?.message).toMatch(/deeper than 32/);
    const proto = '{"first_name":"P","custom_fields":{"__proto__":{"x":1}}}';
    await expectRefused(
      await postBytes(CONTACTS, new TextEncoder().encode(proto)),
      "custom_fields.__proto__",
    );
    const huge = '{"first_name":"H","custom_fields":{"n":1e400}}';
    await expectRefused(await postBytes(CONTACTS, new TextEncoder().encode(huge)), "custom_fields.n");
    const inexact = '{"first_name":"H","custom_fields":{"n":12345678901234567891}}';
    await expectRefused(await postBytes(CONTACTS, new TextEncoder().encode(inexact)), "custom_fields.n");
  });

  it("still takes every valid character, astral ones included", async () => {
    const res = await call(CONTACTS, { method: "POST", json: { first_name: "Zoë 𝒜da \u{1F600}" } });
    expect(res.status).toBe(201);
    expect((await envelope<{ first_name: string }>(res)).data.first_name).toBe("Zoë 𝒜da \u{1F600}");
  });
});

describe("text rules of query strings and forms", () => {
  it("refuses NUL in a list filter", async () => {
    await expectRefused(await call(`${CONTACTS}?name=%00`), "name");
    await expectRefused(await call(`${CONTACTS}?email=a%00b%40example.com`), "email");
  });

  it("answers NUL in /oauth/token's client_id as invalid_request", async () => {
    const res = await tokenRequest({
      grant_type: "authorization_code",
      client_id: "nexus\u0000cli",
      code: "x",
      code_verifier: "y".repeat(43),
      redirect_uri: CLI_REDIRECT,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: "invalid_request",
      error_description: expect.stringMatching(/client_id/),
    });
  });

  it("answers NUL in the sign-in e-mail with the page's 400", async () => {
    const { challenge } = await pkcePair();
    const opts = { clientId: CLI, challenge };
    const { jar, ip, csrf } = await openSignIn(opts);
    const res = await postAuthorize(opts, jar, ip, {
      csrf_token: csrf,
      email: "owner@tenant-a.example\u0000",
      password: "whatever-it-is",
      consent: "approve",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/NUL/);
  });
});
