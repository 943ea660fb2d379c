import { describe, expect, it } from "vitest";
import { normalisePatch } from "../../../workers/api/scim/dialects";
import { issuerProblem, subjectOf } from "../../../workers/api/sso/issuer-rules";

const TID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const ENTRA = `https://login.microsoftonline.com/${TID}/v2.0`;

describe("issuer rules", () => {
  it("refuses Entra's shared endpoints, http off loopback, and query strings", () => {
    for (const shared of ["common", "organizations", "consumers"]) {
      expect(issuerProblem(`https://login.microsoftonline.com/${shared}/v2.0`, false)).toMatch(
        /shared endpoints/,
      );
    }
    expect(issuerProblem(ENTRA, false)).toBeUndefined();
    expect(issuerProblem("http://idp.example", true)).toBe("Must be an https URL");
    expect(issuerProblem("http://127.0.0.1:8097", true)).toBeUndefined();
    expect(issuerProblem("http://127.0.0.1:8097", false)).toBe("Must be an https URL");
    expect(issuerProblem("https://idp.example?x=1", false)).toMatch(/query/);
  });

  it("keys Entra users by tid and oid, of the connection's tenant only", () => {
    const claims = { sub: "pairwise", tid: TID, oid: "0A1B" };
    expect(subjectOf(ENTRA, claims, [])).toEqual({ ok: true, subject: `${TID}:0a1b` });
    expect(subjectOf(ENTRA, { ...claims, tid: "00000000-0000-4000-8000-000000000000" }, [])).toEqual({
      ok: false,
      reason: "entra_wrong_tenant",
    });
    expect(subjectOf(ENTRA, { sub: "x", tid: TID }, [])).toMatchObject({ ok: false });
  });

  it("checks Google's hd claim against the connection's domains", () => {
    const issuer = "https://accounts.google.com";
    expect(subjectOf(issuer, { sub: "1", hd: "acme.example" }, ["acme.example"])).toEqual({
      ok: true,
      subject: "1",
    });
    expect(subjectOf(issuer, { sub: "1" }, ["acme.example"])).toMatchObject({ ok: false });
    expect(subjectOf(issuer, { sub: "1", hd: "other.example" }, ["acme.example"])).toMatchObject({
      ok: false,
    });
  });
});

describe("SCIM dialects", () => {
  it("brings Entra's capitalised ops, string booleans and member removal to RFC 7644", () => {
    expect(
      normalisePatch({
        Operations: [
          { op: "Replace", path: "active", value: "False" },
          { op: "Replace", value: { active: "True" } },
          { op: "Remove", path: "members", value: [{ value: "a" }, { value: "b" }] },
        ],
      }),
    ).toEqual([
      { op: "replace", path: "active", value: false },
      { op: "replace", value: { active: true } },
      { op: "remove", path: 'members[value eq "a"]' },
      { op: "remove", path: 'members[value eq "b"]' },
    ]);
    expect(() => normalisePatch({ Operations: [] })).toThrow();
    expect(() => normalisePatch({ Operations: [{ op: "move", path: "x" }] })).toThrow();
  });
});
