import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CronEvery, PRODUCTION_CRON, startCronTicker } from "../../regions/local/cron-ticker";
import { cronWarningFilter } from "../../regions/local/wrangler-dev";

interface Hit {
  region: string;
  path: string;
  cron: string | null;
  at: number;
}

/** Two "dev ports" answering miniflare's trigger endpoint; lagos' answers as a throwing handler does. */
async function fakeWorkers(lagosStatus = 200) {
  const hits: Hit[] = [];
  const servers: Server[] = [];
  const urls = {} as Record<"eu" | "lagos", string>;
  for (const region of ["eu", "lagos"] as const) {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      hits.push({ region, path: url.pathname, cron: url.searchParams.get("cron"), at: Date.now() });
      const status = region === "lagos" ? lagosStatus : 200;
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ outcome: status === 200 ? "ok" : "exception", noRetry: false }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    urls[region] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const close = () =>
    Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))).then(() => {});
  return { hits, urls, close };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe("npm run dev's cron ticker", () => {
  it("fires every region's scheduled handler at the interval, with production's cron, and no more once stopped", async () => {
    const workers = await fakeWorkers();
    cleanup.push(workers.close);
    const started = Date.now();
    const ticker = startCronTicker({ workerUrls: workers.urls, everyMs: 100, log: () => {} });
    await wait(450);
    await ticker.stop();
    const stoppedAt = Date.now();

    for (const region of ["eu", "lagos"]) {
      const ofRegion = workers.hits.filter((h) => h.region === region);
      // Ticks at ~100, 200, 300, 400 ms: none at once (a deployment's cron does not fire on deploy).
      expect(ofRegion.length, region).toBeGreaterThanOrEqual(3);
      expect(ofRegion.length, region).toBeLessThanOrEqual(5);
      expect(ofRegion[0]?.at ?? 0).toBeGreaterThanOrEqual(started + 95);
      expect(ofRegion.every((h) => h.path === "/cdn-cgi/local/scheduled" && h.cron === PRODUCTION_CRON)).toBe(
        true,
      );
    }
    const count = workers.hits.length;
    await wait(300);
    expect(workers.hits.length).toBe(count);
    expect(workers.hits.every((h) => h.at <= stoppedAt)).toBe(true);
  });

  it("logs a failed tick and keeps ticking, in both regions", async () => {
    const workers = await fakeWorkers(500);
    cleanup.push(workers.close);
    const lines: string[] = [];
    const ticker = startCronTicker({ workerUrls: workers.urls, everyMs: 100, log: (l) => lines.push(l) });
    cleanup.push(() => ticker.stop());
    await wait(350);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.startsWith("cron: lagos: scheduled handler failed (HTTP 500"))).toBe(true);
    expect(workers.hits.filter((h) => h.region === "lagos").length).toBeGreaterThanOrEqual(2);
    expect(workers.hits.filter((h) => h.region === "eu").length).toBeGreaterThanOrEqual(2);
  });

  it("logs a Worker that does not answer, and does not throw", async () => {
    const workers = await fakeWorkers();
    await workers.close();
    const lines: string[] = [];
    const ticker = startCronTicker({ workerUrls: workers.urls, everyMs: 100, log: (l) => lines.push(l) });
    cleanup.push(() => ticker.stop());
    await wait(250);
    expect(lines.some((l) => l.startsWith("cron: eu: scheduled handler could not be fired"))).toBe(true);
    expect(lines.some((l) => l.startsWith("cron: lagos: scheduled handler could not be fired"))).toBe(true);
  });

  it("reads --cron-every as a duration, and refuses what is not one", () => {
    expect(CronEvery.parse("60s")).toBe(60_000);
    expect(CronEvery.parse("2m")).toBe(120_000);
    expect(CronEvery.parse("1500ms")).toBe(1500);
    for (const bad of ["60", "1h", "-5s", "0s", "999ms", "61m", "off"])
      expect(CronEvery.safeParse(bad).success, bad).toBe(false);
  });

  it("uses the cron every environment of wrangler.toml has", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const crons = [...toml.matchAll(/^\[env\.([\w-]+)\.triggers\]\ncrons = (\[.*\])$/gm)];
    expect(crons.map((m) => m[1])).toEqual(["eu", "lagos", "local-eu", "local-lagos"]);
    for (const m of crons) expect(JSON.parse(m[2] ?? "[]"), m[1]).toEqual([PRODUCTION_CRON]);
  });

  it("drops wrangler's warning that nothing fires the scheduled handler, and only that", () => {
    // As wrangler 4.164 prints it (colours included) between its other start lines.
    const printed = [
      "⎔ Starting local server...",
      "\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mScheduled Workers are not automatically triggered during local development.\u001b[0m",
      "",
      "  To manually trigger a scheduled event, run:",
      '    curl "http://127.0.0.1:8787/cdn-cgi/local/scheduled"',
      "  For more details, see \u001b[4mhttps://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers-locally\u001b[0m",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "",
    ];
    const isWarning = cronWarningFilter();
    expect(printed.filter((line) => !isWarning(line))).toEqual([
      "⎔ Starting local server...",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "",
    ]);
  });
});
