import { describe, expect, it } from "vitest";
import { call, envelope } from "./helpers";

const CONTACTS = "/api/v1/crm/contacts";

async function refusal(res: Response) {
  expect(res.status).toBe(400);
  const body = await envelope(res);
  expect(body.status).toBe("error");
  return body.errors ?? [];
}

describe("strict query strings", () => {
  it("answers an unknown list filter with 400 naming it, instead of listing everything", async () => {
    const errors = await refusal(await call(`${CONTACTS}?first_nam=Ada`));
    expect(errors).toEqual([
      { code: "VALIDATION_ERROR", field: "first_nam", message: "Unknown query parameter: first_nam" },
    ]);
    // On a route that declares no query at all too.
    expect((await refusal(await call("/api/v1/iam/permissions?verbose=1")))[0]?.field).toBe("verbose");
  });

  it("takes page sizes only in decimal digits, once", async () => {
    for (const limit of ["0x10", "1e1", "+5", "-1", " 5", "5.0", ""]) {
      const errors = await refusal(await call(`${CONTACTS}?limit=${encodeURIComponent(limit)}`));
      expect(errors[0]?.field).toBe("limit");
    }
    expect((await refusal(await call(`${CONTACTS}?limit[]=1`)))[0]?.field).toBe("limit[]");
    expect((await refusal(await call(`${CONTACTS}?limit=1&limit=2`)))[0]).toMatchObject({
      field: "limit",
      message: "Query parameter limit is repeated",
    });
    const ok = await call(`${CONTACTS}?limit=2`);
    expect(ok.status).toBe(200);
    expect((await envelope(ok)).meta?.limit).toBe(2);
  });

  it("refuses a body on a route that takes none, with 400", async () => {
    const id = crypto.randomUUID();
    for (const [method, path] of [
      ["DELETE", `${CONTACTS}/${id}`],
      ["POST", `/api/v1/iam/api-keys/${id}/revoke`],
    ] as const) {
      const res = await call(path, { method, json: { anything: true } });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 400 });
      expect((await envelope(res)).errors?.[0]).toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/takes no request body/),
      });
    }
    // Without a body (a Content-Type alone included) the same routes answer as before.
    const empty = await call(`/api/v1/iam/api-keys/${id}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
    });
    expect(empty.status).toBe(404);
  });
});
