import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { WebSocket } from "ws";
import type { SqlGateway } from "../../regions/sql-gateway/server";

// Shared by the gateway suites. They run against the real Postgres on 127.0.0.1:5432 (trust auth,
// database `test`) in parallel with other suites, so every object they create carries a random
// suffix and is dropped in afterAll.

export const POSTGRES_UPSTREAM = "postgres://127.0.0.1:5432";
export const TEST_DATABASE = "test";

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** A direct connection (no gateway) for setup, cleanup and checking what really got stored. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: TEST_DATABASE });
  await client.connect();
  return client;
}

/**
 * The host is deliberately bogus: the gateway must ignore it and use its configured upstream.
 * Extra URL parameters (application_name...) go in `query`.
 */
export function connectionString(
  user: string,
  database: string,
  options: { password?: string; host?: string; query?: string } = {},
): string {
  const { password = "unused-password", host = "db.gateway.invalid", query } = options;
  const base = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}/${database}`;
  return query ? `${base}?${query}` : base;
}

/** Points the Neon driver's HTTP and WebSocket modes at a local gateway (see PLATFORM-NOTES.md). */
export function useGateway(gateway: SqlGateway): void {
  neonConfig.fetchEndpoint = `${gateway.url}/sql`;
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, port) => `127.0.0.1:${gateway.port}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** A port nothing listens on (bound, read, released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POST /sql as the driver would, with every header overridable (null removes one). */
export async function postSql(
  gateway: SqlGateway,
  body: unknown,
  headers: Record<string, string | null> = {},
): Promise<RawResponse> {
  const merged: Record<string, string | null> = {
    "Neon-Connection-String": connectionString("postgres", TEST_DATABASE),
    "Neon-Raw-Text-Output": "true",
    "Neon-Array-Mode": "true",
    ...headers,
  };
  const response = await fetch(`${gateway.url}/sql`, {
    method: "POST",
    headers: Object.fromEntries(
      Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null),
    ),
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

/** Polls until `check` is true or the deadline passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
