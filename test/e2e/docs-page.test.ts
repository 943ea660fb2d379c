import { mkdirSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { launchChromium } from "../support/chromium";

const stack = inject("e2e");

describe("/docs in a real browser", () => {
  it("renders the interactive reference from the Worker's own assets, with no outside requests", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      const failed: string[] = [];
      page.on("request", (request) => {
        const url = request.url();
        if (!url.startsWith(stack.eu) && !url.startsWith("data:") && !url.startsWith("blob:"))
          external.push(url);
      });
      page.on("response", (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      const response = await page.goto(`${stack.eu}/docs`);
      expect(response?.status()).toBe(200);
      // Scalar lists each operation once it has loaded and parsed /openapi.json.
      for (const summary of ["List contacts", "Create a contact", "Delete a contact", "Region health"]) {
        await page.getByText(summary).first().waitFor({ timeout: 30_000 });
      }
      expect(await page.title()).toBe("Nexus Edge API");
      mkdirSync("test-results", { recursive: true });
      await page.screenshot({ path: "test-results/docs.png" });
      expect(external).toEqual([]);
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
