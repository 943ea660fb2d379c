import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InteractiveTransaction } from "../../db/interactive-transaction";
import { logError } from "../../workers/api/lib/log-error";
import { db } from "./oauth-helpers";

const MARKER = "log-marker-7f3a@example.com";

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("the statement did not fail");
}

/** What logError writes for `error`, as the one line it printed. */
function logged(error: unknown): Record<string, unknown> {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  logError("request failed", "req-1", error);
  expect(spy).toHaveBeenCalledTimes(1);
  return JSON.parse(String(spy.mock.calls[0]?.[0])) as Record<string, unknown>;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the error log", () => {
  it("names a failed statement and its Postgres code, never its parameters (SQL over HTTP)", async () => {
    // Postgres quotes the value in its message, drizzle puts it in its own: neither reaches the log.
    const error = await failure(() => db().execute(sql`select ${MARKER}::uuid as id`));
    expect(String((error as Error).message)).toContain(MARKER);
    const line = logged(error);
    expect(JSON.stringify(line)).not.toContain(MARKER);
    expect(JSON.stringify(line)).not.toContain("example.com");
    expect(line).toMatchObject({ level: "error", request_id: "req-1", pg_code: "22P02" });
    expect(line.statement).toMatch(/^select #[0-9a-f]{8}$/);
    // drizzle's wrapper leaves the name Error; the driver's error below it names itself.
    expect(line).toMatchObject({ error: "Error", causes: ["NeonDbError"] });
  });

  it("does the same for a statement in an interactive transaction (the WebSocket path)", async () => {
    if (!env.DATABASE_URL) throw new Error("DATABASE_URL is not bound");
    const tx = await InteractiveTransaction.connect({
      url: env.DATABASE_URL,
      httpEndpoint: env.DATABASE_HTTP_URL,
    });
    try {
      await tx.script("begin");
      const error = await failure(() =>
        tx.database().execute(sql`select id from contacts where email = ${MARKER} and id = ${MARKER}::uuid`),
      );
      const line = logged(error);
      expect(JSON.stringify(line)).not.toContain(MARKER);
      expect(line).toMatchObject({ pg_code: "22P02" });
      expect(line.statement).toMatch(/^select contacts #[0-9a-f]{8}$/);
    } finally {
      await tx.rollback().catch(() => {});
      await tx.close();
    }
  });

  it("keeps the message of an error that carries no statement", () => {
    const line = logged(new Error("upstream closed", { cause: new TypeError("fetch failed") }));
    expect(line).toMatchObject({ error: "Error: upstream closed", causes: ["TypeError: fetch failed"] });
    expect(String(line.stack)).toMatch(/^\s+at /);
  });
});
