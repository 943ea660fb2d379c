import { Redis } from "@upstash/redis/cloudflare";
import type { z } from "zod";
import type { Config } from "../env";

/*
 * Upstash Redis is global: every region reads and writes the same database, wherever it is
 * hosted. So it holds no personal data (SECURITY.md, residency), only ids, enums, numbers and
 * hashes: tenant id → region, tier, status and rate-limit numbers (services/tenant-directory.ts),
 * an API key's SHA-256 → key id, tenant id, role, scopes, expiry (auth/api-key.ts), and revoked
 * token ids and refresh-family ids (auth/revocation-list.ts). Those three modules are the only
 * writers. Postgres stays the authority; every read here has a Postgres fallback, so Upstash
 * unreachable or unset only makes requests slower.
 */

/** A hot-path call gives up after this long and the caller asks Postgres. */
export const UPSTASH_TIMEOUT_MS = 250;
/** After a failure this isolate leaves Upstash alone this long, so requests do not each pay a timeout. */
export const UPSTASH_BREAKER_MS = 5_000;

/** Work that may finish after the response (executionCtx.waitUntil); must not reject. */
export type Defer = (work: Promise<unknown>) => void;

/** Runs `work` after the response when the caller can, else now; never throws. */
export async function deferOrAwait(work: Promise<unknown>, defer: Defer | undefined): Promise<void> {
  const safe = work.catch(() => undefined);
  if (defer) defer(safe);
  else await safe;
}

export interface EdgeStore {
  redis: Redis;
  /** `{UPSTASH_KEY_PREFIX}{kind}:{id}`: every key this codebase writes. */
  key(kind: "tenant" | "apikey" | "revoked", id?: string): string;
}

interface Handle extends EdgeStore {
  /** Epoch ms until which this isolate does not try Upstash (the breaker is open). */
  downUntil: number;
}

// Bindings are fixed for an isolate's life: one client and one breaker per configuration.
const handles = new WeakMap<Config, Handle>();

function handleOf(config: Config): Handle | undefined {
  const upstash = config.upstash;
  if (!upstash) return undefined;
  let handle = handles.get(config);
  if (!handle) {
    const prefix = upstash.keyPrefix;
    handle = {
      redis: new Redis({
        url: upstash.url,
        token: upstash.token,
        // No retries and a short deadline: a dead Upstash must cost little, Postgres answers instead.
        // A signal *function*: with a plain AbortSignal the client turns an abort into a fake
        // successful reply instead of an error.
        retry: false,
        signal: () => AbortSignal.timeout(UPSTASH_TIMEOUT_MS),
        automaticDeserialization: false,
        enableTelemetry: false,
      }),
      key: (kind, id) => (id === undefined ? `${prefix}${kind}` : `${prefix}${kind}:${id}`),
      downUntil: 0,
    };
    handles.set(config, handle);
  }
  return handle;
}

export type UpstashResult<T> = { ok: true; value: T } | { ok: false };

/**
 * One Upstash operation, or `{ok: false}` when Upstash is not configured, its breaker is open,
 * or the call fails or times out (which opens the breaker for UPSTASH_BREAKER_MS). Never throws:
 * the caller falls back to Postgres.
 */
export async function tryUpstash<T>(
  config: Config,
  operation: (store: EdgeStore) => Promise<T>,
): Promise<UpstashResult<T>> {
  const handle = handleOf(config);
  if (!handle || Date.now() < handle.downUntil) return { ok: false };
  try {
    return { ok: true, value: await operation(handle) };
  } catch (error) {
    handle.downUntil = Date.now() + UPSTASH_BREAKER_MS;
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: "upstash unavailable; serving from Postgres",
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        retry_after_ms: UPSTASH_BREAKER_MS,
      }),
    );
    return { ok: false };
  }
}

type Kind = Parameters<EdgeStore["key"]>[0];

/**
 * A JSON value this codebase wrote, validated on read: undefined when absent, malformed (or not
 * what `schema` allows), or Upstash is unavailable.
 */
export async function readJson<T>(
  config: Config,
  kind: Kind,
  id: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const read = await tryUpstash(config, (store) => store.redis.get<string>(store.key(kind, id)));
  if (!read.ok || typeof read.value !== "string") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(read.value);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Writes a JSON value that expires after `ttlMs`. Never throws (see tryUpstash). */
export function writeJson(config: Config, kind: Kind, id: string, value: unknown, ttlMs: number) {
  return tryUpstash(config, (store) =>
    store.redis.set(store.key(kind, id), JSON.stringify(value), { px: Math.max(1, Math.floor(ttlMs)) }),
  );
}

/** Deletes a key. Never throws (see tryUpstash). */
export function deleteKey(config: Config, kind: Kind, id: string) {
  return tryUpstash(config, (store) => store.redis.del(store.key(kind, id)));
}

/** This isolate's view, for /health: whether it currently skips Upstash after a failure. */
export function upstashUsage(config: Config): "in_use" | "bypassed" | "not_configured" {
  const handle = handleOf(config);
  if (!handle) return "not_configured";
  return Date.now() < handle.downUntil ? "bypassed" : "in_use";
}
