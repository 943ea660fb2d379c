import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readStackInfo } from "../../regions/local/stack-info";
import { regionAccess, regionSql } from "../../scripts/lib/ops-regions";
import { scanFiles, scanPostgres, scanUpstash } from "../../scripts/lib/residency/store-scans";
import { residencyCheck } from "../support/residency-check";

const stack = inject("e2e");

describe("the residency canary (npm run residency-check)", () => {
  it("passes in both directions against npm run dev, with a line per store", {
    timeout: 260_000,
  }, async () => {
    const { stdout, code } = await residencyCheck(["--data-dir", stack.dataDir]);
    expect(code, stdout).toBe(0);
    expect(stdout).toContain("PASS lagos → eu");
    expect(stdout).toContain("PASS eu → lagos");
    expect(stdout).toContain("residency-check: passed in both directions");
    for (const region of ["eu", "lagos"]) {
      // Every feature wrote through the API…
      for (const feature of [
        "tenant activated",
        "contact",
        "lead",
        "invoice paid",
        "chat message",
        "webhook endpoint",
        "resource",
        "agent chat turn",
        "events in the event log",
      ])
        expect(stdout).toMatch(new RegExp(`✓ ${region}: ${feature}`));
      // …and every store of the other region was read (and found to hold something to read).
      for (const store of [
        "Postgres \\(every table, rows as text\\): marker not found \\(\\d+ tables, [1-9]\\d* rows\\)",
        "Postgres files on disk \\(PGlite\\): marker not found \\([1-9]\\d* files",
        "Durable Object storage \\(wrangler state\\): marker not found \\([1-9]\\d* files",
        "Worker logs at rest: marker not found \\(1 files",
        "JetStream",
        "model gateway \\(prompts it received\\): marker not found",
        "embedding server \\(texts it received\\): marker not found",
      ])
        expect(stdout).toMatch(new RegExp(`✓ ${region} ${store}`));
      // The home database holds the marker in each feature's table (the scans are not blind).
      expect(stdout).toMatch(
        new RegExp(`✓ ${region} Postgres \\(every table, rows as text\\): marker found`),
      );
    }
    expect(stdout).toMatch(/✓ Upstash \(every key and value\): marker not found \(\d+ keys\)/);
    expect(stdout).not.toContain("✗");
  });

  it("its scans find a marker planted in an EU store: Postgres, Durable Object files, Upstash", async () => {
    const marker = `planted-${crypto.randomUUID()}`;
    const info = readStackInfo(stack.dataDir);
    if (!info) throw new Error("no stack.json");
    const sql = regionSql(
      regionAccess("eu", { dataDir: stack.dataDir, urls: {}, databaseUrls: {}, httpEndpoints: {} }),
    );

    await sql("create table if not exists canary_probe (note text)");
    await sql("insert into canary_probe values ($1)", [`a note with ${marker} inside`]);
    const probeFile = join(stack.dataDir, "wrangler-eu", "canary-probe.sqlite");
    writeFileSync(probeFile, Buffer.concat([Buffer.alloc(100), Buffer.from(marker), Buffer.alloc(100)]));
    const upstash = { url: info.upstashUrl ?? "", token: info.upstashToken ?? "" };
    const redis = (command: string[]) =>
      fetch(upstash.url, {
        method: "POST",
        headers: { Authorization: `Bearer ${upstash.token}` },
        body: JSON.stringify(command),
      });
    const probeKey = `canary-probe:${crypto.randomUUID()}`;
    await redis(["HSET", probeKey, "note", marker]);
    try {
      expect((await scanPostgres(sql, "eu", marker)).hits).toEqual(["public.canary_probe (1 rows)"]);
      expect(scanFiles("eu DO", join(stack.dataDir, "wrangler-eu"), marker).hits).toEqual([probeFile]);
      expect((await scanUpstash(upstash, marker)).hits).toHaveLength(1);
      // And only the marker: another one is nowhere.
      expect((await scanPostgres(sql, "eu", `${marker}-other`)).hits).toEqual([]);
    } finally {
      await sql("drop table canary_probe");
      rmSync(probeFile, { force: true });
      await redis(["DEL", probeKey]);
    }
  });
});
