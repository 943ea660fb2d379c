import { describe, expect, inject, it } from "vitest";

// npm run dev starts the payment providers stand-in and prints where it is.

const stack = inject("e2e");

describe("payment providers stand-in in npm run dev", () => {
  it("prints its URL, on 8091 plus the port offset, and serves Paystack there", async () => {
    const offset = Number(process.env.NEXUS_E2E_PORT_OFFSET ?? 3000);
    const url = /Payments: (http:\/\/127\.0\.0\.1:\d+)/.exec(stack.output)?.[1];
    expect(url).toBe(`http://127.0.0.1:${8091 + offset}`);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });
    const init = await fetch(`${url}/paystack/transaction/initialize`, {
      method: "POST",
      headers: { authorization: "Bearer sk_test_devstackcheck", "content-type": "application/json" },
      body: JSON.stringify({ email: "dev@example.ng", amount: 10000 }),
    });
    expect(await init.json()).toMatchObject({ status: true, message: "Authorization URL created" });
  });
});
