import { env } from "cloudflare:test";
import { regionDatabase } from "../../db/client";
import { loadConfig } from "../../workers/api/env";
import { driveRequest, resumePrivacyRequests } from "../../workers/api/services/privacy/run";
import { call, type Envelope, envelope } from "./helpers";
import { ownerSql } from "./outbox-helpers";

export const REQUESTS = "/api/v1/privacy/requests";

export interface RequestView {
  id: string;
  status: "running" | "completed" | "failed";
  stores: {
    store: string;
    state: string;
    attempts: number;
    action: string | null;
    rows: number | null;
    reason: string | null;
  }[];
  progress: { done: number; total: number };
  download_url: string | null;
  stream_purge: { subject_filter: string } | null;
}

export async function requestPrivacy(
  token: string,
  json: unknown,
  headers: Record<string, string> = {},
): Promise<{ res: Response; body: Envelope<RequestView> }> {
  const res = await call(REQUESTS, { method: "POST", token, json, headers });
  return { res, body: await envelope<RequestView>(res) };
}

export async function readRequest(token: string, id: string): Promise<RequestView> {
  const res = await call(`${REQUESTS}/${id}`, { token });
  if (res.status !== 200) throw new Error(`GET request ${id}: ${res.status}`);
  return (await envelope<RequestView>(res)).data;
}

/**
 * Waits for a request to end, running the scheduled handler's resume meanwhile (as the cron does
 * every minute): a step that failed (an Upstash timeout under load) is released and retried.
 */
export async function untilFinished(token: string, id: string, timeoutMs = 15_000): Promise<RequestView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readRequest(token, id);
    if (view.status !== "running") return view;
    if (Date.now() > deadline) throw new Error(`request ${id} still running: ${JSON.stringify(view.stores)}`);
    await new Promise((r) => setTimeout(r, 100));
    await resumeLater(0);
  }
}

/** The scheduled handler's resume, with a clock `aheadMs` ahead (past a crashed run's lease). */
export function resumeLater(aheadMs: number) {
  return resumePrivacyRequests(env, () => new Date(Date.now() + aheadMs));
}

export function driveNow(tenantId: string, id: string) {
  const config = loadConfig(env);
  return driveRequest({ db: regionDatabase(config), env, config }, tenantId, id);
}

/** Every table of the region's Postgres with a row whose text contains `marker` (as the owner). */
export async function tablesContaining(marker: string): Promise<Record<string, number>> {
  const sql = ownerSql();
  const tables = (await sql`select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`) as { table_name: string }[];
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = (await sql.query(
      `select count(*)::int as n from "${table_name}" t where t::text ilike '%' || $1 || '%'`,
      [marker],
    )) as { n: number }[];
    if (row && row.n > 0) found[table_name] = row.n;
  }
  return found;
}

/** Reads a ustar archive (what the download answers): file name → text. */
export function untar(bytes: Uint8Array): Record<string, string> {
  const files: Record<string, string> = {};
  const decoder = new TextDecoder();
  for (let offset = 0; offset + 512 <= bytes.length; ) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, "");
    const size = Number.parseInt(decoder.decode(header.subarray(124, 136)).replace(/\0.*$/s, "").trim(), 8);
    files[name] = decoder.decode(bytes.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
