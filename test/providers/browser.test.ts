import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium";
import { type Harness, startHarness, testKey } from "./harness";

// A person at the hosted checkout page in a real browser: the Pay button posts the form, the
// webhook goes out, and the browser lands on the merchant's success URL.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("hosted checkout page in Chromium", () => {
  it("Pay on a Paystack page lands on the callback URL with trxref and reference", async () => {
    const key = testKey("sk_test_");
    await fetch(`${h.standin.url}/__standin/paystack/webhook`, {
      method: "PUT",
      body: JSON.stringify({ secret_key: key, url: h.hookUrl("browser-paystack") }),
    });
    const init = (await (
      await fetch(`${h.standin.providerUrls.paystack}/transaction/initialize`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          email: "ada@example.ng",
          amount: 250000,
          reference: "browser-1",
          // The merchant's return page: here the receiver's listing, any page would do.
          callback_url: `${h.receiver.url}/control/browser-paystack`,
        }),
      })
    ).json()) as { data: { authorization_url: string } };

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(init.data.authorization_url);
      expect(await page.getByTestId("amount").textContent()).toBe("NGN 2500.00");
      await Promise.all([
        page.waitForURL(/trxref=browser-1/),
        page.getByRole("button", { name: "Pay" }).click(),
      ]);
      const landed = new URL(page.url());
      expect(landed.searchParams.get("reference")).toBe("browser-1");
      // The return page lists what the webhook receiver got: the charge.success sent before the redirect.
      expect(await page.textContent("body")).toContain('\\"event\\":\\"charge.success\\"');
    } finally {
      await browser.close();
    }
  });
});
