import { describe, inject, it } from "vitest";
import { readStackInfo } from "../../regions/local/stack-info";
import { expectNoTrace } from "../support/privacy-erasure-checks";
import { eraseAndScan } from "../support/privacy-erasure-scan";

const stack = inject("e2e");

// The same check with the outbox relays streaming into JetStream: test/e2e/postgres-mode.test.ts.
describe("an erasure, scanned the way the residency canary scans", () => {
  it("leaves no trace of the erased contact in any EU store, and keeps the other person", {
    timeout: 240_000,
  }, async () => {
    const info = readStackInfo(stack.dataDir);
    if (!info) throw new Error("no stack.json");
    const result = await eraseAndScan(
      { stack: info, dataDir: stack.dataDir, natsUrl: "nats://127.0.0.1:4222" },
      "eu",
    );
    expectNoTrace(result, { relay: false, pglite: info.database === "pglite" });
  });
});
