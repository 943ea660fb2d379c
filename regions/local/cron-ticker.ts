import { z } from "zod";
import { REGION_IDS, type RegionId } from "../registry";

/**
 * The cron of wrangler.toml's `[env.*.triggers]` (every region, production and local alike). The
 * Worker's scheduled handler does the same work whatever the expression; it is passed so that
 * `controller.cron` reads as it would in production.
 */
export const PRODUCTION_CRON = "* * * * *";
/** Production's cadence: `* * * * *` fires once a minute. */
export const DEFAULT_CRON_EVERY = "60s";

/** `--cron-every`: `1500ms`, `30s`, `2m`; from a second (a tick must not crowd the stack) to an hour. */
export const CronEvery = z
  .string()
  .regex(/^\d+(ms|s|m)$/, "a duration such as 60s, 2m or 1500ms")
  .transform((value) => {
    const amount = Number.parseInt(value, 10);
    return value.endsWith("ms") ? amount : value.endsWith("m") ? amount * 60_000 : amount * 1000;
  })
  .pipe(z.number().int().min(1000, "at least 1s").max(3_600_000, "at most 1 hour"));

export interface CronTickerOptions {
  workerUrls: Record<RegionId, string>;
  everyMs: number;
  log: (line: string) => void;
}

export interface CronTicker {
  stop(): Promise<void>;
}

/** A tick that has not finished in this long is given up (the Worker finishes it on its own). */
const TICK_TIMEOUT_MS = 5 * 60_000;

/**
 * Fires each region's scheduled handler every `everyMs`, as Cloudflare's cron does in a
 * deployment (wrangler dev never fires it on its own). Through miniflare's trigger endpoint,
 * `/cdn-cgi/local/scheduled`, on by default in this wrangler (4.164; it is what wrangler's own
 * "not automatically triggered" warning points to): it dispatches the real scheduled event and
 * answers only when the handler and its waitUntil work are done, with the outcome. (The older
 * `--test-scheduled` `/__scheduled` route answers at once and adds a middleware to the Worker.)
 * That endpoint exists only in `wrangler dev`, and the dev port it is on listens on 127.0.0.1
 * (wrangler-dev.ts passes `--ip 127.0.0.1`): nothing off this machine can fire it.
 *
 * One loop per region: a slow region does not hold back the other's ticks, and a region's next
 * tick is timed from the start of its last one but never overlaps it. A failed tick is logged,
 * never thrown: the next one tries again, as the next minute's cron would.
 */
export function startCronTicker(options: CronTickerOptions): CronTicker {
  const stopping = new AbortController();
  const loops = REGION_IDS.map((region) => runLoop(region, options, stopping.signal));
  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

async function runLoop(region: RegionId, options: CronTickerOptions, stopping: AbortSignal): Promise<void> {
  let next = Date.now() + options.everyMs;
  while (await sleepUntil(next, stopping)) {
    next += options.everyMs;
    const failure = await tick(options.workerUrls[region], stopping);
    if (failure && !stopping.aborted) options.log(`cron: ${region}: scheduled handler ${failure}`);
    // A tick longer than the interval: the next starts when it ends, not in a burst of catch-ups.
    next = Math.max(next, Date.now());
  }
}

/** One scheduled event; answers what went wrong, or undefined when it ran to the end. */
async function tick(workerUrl: string, stopping: AbortSignal): Promise<string | undefined> {
  const url = `${workerUrl}/cdn-cgi/local/scheduled?${new URLSearchParams({ cron: PRODUCTION_CRON, format: "json" })}`;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.any([stopping, AbortSignal.timeout(TICK_TIMEOUT_MS)]),
    });
    const body = await response.text();
    if (response.ok) return undefined;
    // {"outcome":"exception"}: the handler threw; its error is in the Worker's own log lines.
    return `failed (HTTP ${response.status}: ${body.slice(0, 200)}); see the Worker's log lines above`;
  } catch (error) {
    return `could not be fired: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Resolves true at `at`, or false as soon as the ticker is stopped. */
function sleepUntil(at: number, stopping: AbortSignal): Promise<boolean> {
  if (stopping.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        stopping.removeEventListener("abort", onAbort);
        resolve(true);
      },
      Math.max(0, at - Date.now()),
    );
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    stopping.addEventListener("abort", onAbort, { once: true });
  });
}

/** The start line: what the ticker fires, how often, how to change it. */
export function describeCron(everyMs: number | null): string {
  const work =
    "outbox publishing, webhook redelivery, left-behind mail, search embedding, privacy requests, retention, payment janitor, field sealing";
  if (everyMs === null)
    return `Cron: off (--no-cron): each region's scheduled handler (${work}) is not fired`;
  return `Cron: each region's scheduled handler every ${formatEvery(everyMs)} (${work}); --cron-every 30s to change, --no-cron to turn off`;
}

export const formatEvery = (ms: number) =>
  ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
