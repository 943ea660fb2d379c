import { describe, expect, it } from "vitest";
import { parseUpstream } from "../../regions/sql-gateway/backends/postgres";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { postSql } from "./support";

describe("TLS towards the upstream (sslmode)", () => {
  it("reads libpq's sslmode from the upstream URL, plain by default", () => {
    expect(parseUpstream("postgres://127.0.0.1:5432").address.tls).toBe("disable");
    expect(parseUpstream("postgres://db.internal:5432?sslmode=require").address.tls).toBe("require");
    expect(
      parseUpstream("postgres://ep-x-pooler.eu-central-1.aws.neon.tech:5432/neondb?sslmode=verify-full")
        .address,
    ).toEqual({ host: "ep-x-pooler.eu-central-1.aws.neon.tech", port: 5432, tls: "verify-full" });
    expect(() => parseUpstream("postgres://h:5432?sslmode=prefer")).toThrow(/sslmode/);
  });

  it("really negotiates TLS: a server without it answers a clear 503, not plain text", async () => {
    // The machine's Postgres runs with ssl = off, so a TLS-only gateway must fail to connect.
    const gateway = await startSqlGateway({
      backend: { kind: "postgres", upstream: "postgres://127.0.0.1:5432?sslmode=require" },
    });
    try {
      const started = Date.now();
      const response = await postSql(gateway, { query: "select 1", params: [] });
      expect(response.status).toBe(503);
      expect(JSON.stringify(response.body)).toMatch(/SSL|TLS/i);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await gateway.close();
    }
  });
});
