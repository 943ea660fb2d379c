import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { regionDatabase } from "../../../db/client";
import { revocationListState } from "../auth/revocation-list";
import type { Config } from "../env";
import { upstashUsage } from "../lib/upstash";

export type DependencyState = "up" | "down" | "not_configured";

export interface DependencyReport {
  status: DependencyState;
  latency_ms?: number;
  error?: string;
}

/** Each check's deadline is `config.healthCheckTimeoutMs` (HEALTH_CHECK_TIMEOUT_MS, default 3 s). */
async function timed(
  config: Config,
  check: (signal: AbortSignal) => Promise<unknown>,
): Promise<DependencyReport> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error("timed out"));
    }, config.healthCheckTimeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { status: "up", latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    // Names the failure class only: health is public, internals stay in the logs.
    const message =
      error instanceof Error && /timed out|abort/i.test(error.message) ? "timeout" : "unreachable";
    return { status: "down", latency_ms: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

export function checkDatabase(config: Config): Promise<DependencyReport> {
  return timed(config, () => regionDatabase(config).execute(sql`select 1`));
}

export function checkUpstash(config: Config): Promise<DependencyReport> {
  const upstash = config.upstash;
  if (!upstash) return Promise.resolve({ status: "not_configured" });
  return timed(config, async (signal) => {
    const redis = new Redis({ url: upstash.url, token: upstash.token, retry: false, signal });
    if ((await redis.ping()) !== "PONG") throw new Error("unexpected PING reply");
  });
}

export function checkBackend(config: Config): Promise<DependencyReport> {
  const backendUrl = config.backendUrl;
  if (!backendUrl) return Promise.resolve({ status: "not_configured" });
  return timed(config, async (signal) => {
    const response = await fetch(new URL("/health", backendUrl), { signal });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  });
}

export async function checkHealth(config: Config) {
  const [db, upstash, backend] = await Promise.all([
    checkDatabase(config),
    checkUpstash(config),
    checkBackend(config),
  ]);
  // The database is the only hard dependency: without Upstash or the backend the API still serves.
  const status =
    db.status === "up"
      ? upstash.status === "down" || backend.status === "down"
        ? "degraded"
        : "ok"
      : "down";
  // This isolate's view of its fallbacks: whether it skips Upstash after a recent failure (the
  // directory and API keys then come from Postgres) and where its revocation list came from.
  const isolate = { upstash: upstashUsage(config), revocation_list: revocationListState(config) };
  return { status, dependencies: { db, upstash, backend }, isolate } as const;
}
