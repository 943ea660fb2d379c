import type { Context } from "hono";
import { type Database, regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import type { ServiceContext } from "../services/context";
import { ApiError } from "./errors";
import type { Defer } from "./upstash";

/**
 * The region's database, for work that precedes an actor (sign-in, token endpoint); inside an
 * idempotent request, its transaction.
 */
export function serviceDatabase(c: Context<AppEnv>): Database {
  const config = c.get("config");
  return c.get("database") ?? regionDatabase(config);
}

/**
 * A GET or HEAD outside any transaction may have its reads answered by a replica. The gateway
 * lets a replica answer only once it has replayed everything the primary had written when the
 * read arrived (regions/sql-gateway/backends/replica-reads.ts), so a client that just wrote sees
 * its write; and it runs such reads read-only, so a write marked by mistake fails loudly. Only
 * the compiled reads' batch path carries the mark; anything else a GET runs goes to the primary.
 */
function replicaReadsAllowed(c: Context<AppEnv>): boolean {
  const method = c.req.method;
  return (method === "GET" || method === "HEAD") && c.get("database") === undefined;
}

/** What a service needs from the request, without Hono in its signature. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const actor = c.get("actor");
  if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
  const config = c.get("config");
  return {
    db: replicaReadsAllowed(c) ? regionDatabase(config, { replicaReads: true }) : serviceDatabase(c),
    actor,
    region: config.region,
    requestId: c.get("requestId"),
    dataKey: config.dataEncryptionKey,
  };
}

/** Work to finish after the response (executionCtx.waitUntil), where the runtime offers it. */
export function deferOf(c: Context<AppEnv>): Defer | undefined {
  let ctx: Context<AppEnv>["executionCtx"];
  try {
    ctx = c.executionCtx;
  } catch {
    return undefined;
  }
  return (work) => ctx.waitUntil(work);
}
