import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { streamName } from "../../../regions/outbox-relay/streams";
import type { RegionId } from "../../../regions/registry";

/**
 * The residency canary's scans: every store a region keeps data in, searched for a marker, each
 * answering where the marker was found (empty: nowhere) and how much it looked at, so a scan that
 * read nothing cannot pass unnoticed.
 */

export interface ScanResult {
  store: string;
  /** Where the marker was found: `table contacts (2 rows)`, a file path, a key name… */
  hits: string[];
  /** What was read: `63 tables, 1,204 rows`, `812 files`…; "absent" when the store does not exist here. */
  scanned: string;
}

export type Sql = <T>(text: string, params?: unknown[]) => Promise<T[]>;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Every table of every non-system schema, each row as text (`t::text`, all columns). */
export async function scanPostgres(sql: Sql, region: RegionId, marker: string): Promise<ScanResult> {
  const tables = await sql<{ schema: string; name: string }>(
    `select schemaname as schema, tablename as name from pg_tables
     where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2`,
  );
  const hits: string[] = [];
  let rows = 0;
  for (const t of tables) {
    const relation = `${quote(t.schema)}.${quote(t.name)}`;
    const [counts] = await sql<{ total: number; holding: number }>(
      `select count(*)::int as total, count(*) filter (where strpos(t::text, $1) > 0)::int as holding
       from ${relation} t`,
      [marker],
    );
    rows += counts?.total ?? 0;
    if (counts?.holding) hits.push(`${t.schema}.${t.name} (${counts.holding} rows)`);
  }
  return {
    store: `${region} Postgres (every table, rows as text)`,
    hits,
    scanned: `${tables.length} tables, ${rows} rows`,
  };
}

/**
 * Every file at `path` (a file, or a folder read recursively) whose bytes hold the marker: Durable
 * Object SQLite files and their WAL, caches, database pages, logs.
 */
export function scanFiles(store: string, path: string, marker: string): ScanResult {
  if (!existsSync(path)) return { store, hits: [], scanned: "absent" };
  const needle = Buffer.from(marker);
  const files = statSync(path).isFile()
    ? [path]
    : readdirSync(path, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name));
  let bytes = 0;
  const hits = files.filter((file) => {
    const content = readIfStillThere(file);
    if (!content) return false;
    bytes += content.length;
    return content.includes(needle);
  });
  return { store, hits, scanned: `${files.length} files, ${bytes} bytes` };
}

/**
 * A file's bytes, or undefined if it went away between the listing and the read: a running
 * stack's SQLite keeps creating and removing its -shm and -journal files.
 */
function readIfStillThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

type UpstashCommand = (string | number)[];

/** Every key of the Upstash endpoint and every value, whatever its type, over its REST protocol. */
export async function scanUpstash(
  upstash: { url: string; token: string } | undefined,
  marker: string,
): Promise<ScanResult> {
  const store = "Upstash (every key and value)";
  if (!upstash) return { store, hits: [], scanned: "absent (the stack runs without Upstash)" };
  const pipeline = async (commands: UpstashCommand[]): Promise<unknown[]> => {
    if (commands.length === 0) return [];
    const response = await fetch(`${upstash.url}/pipeline`, {
      method: "POST",
      headers: { Authorization: `Bearer ${upstash.token}`, "Content-Type": "application/json" },
      body: JSON.stringify(commands),
    });
    if (!response.ok) throw new Error(`Upstash pipeline: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { result?: unknown; error?: string }[]).map((r) => r.result);
  };
  const readCommand: Record<string, (key: string) => UpstashCommand> = {
    string: (key) => ["GET", key],
    hash: (key) => ["HGETALL", key],
    list: (key) => ["LRANGE", key, 0, -1],
    set: (key) => ["SMEMBERS", key],
    zset: (key) => ["ZRANGE", key, 0, -1, "WITHSCORES"],
    stream: (key) => ["XRANGE", key, "-", "+"],
  };
  const hits: string[] = [];
  let keys = 0;
  let cursor = "0";
  do {
    const [page] = await pipeline([["SCAN", cursor, "COUNT", 1000]]);
    const [next, batch] = page as [string, string[]];
    cursor = next;
    keys += batch.length;
    const types = (await pipeline(batch.map((key) => ["TYPE", key]))) as string[];
    const readable = batch.flatMap((key, i) => {
      const read = readCommand[types[i] ?? ""];
      return read ? [{ key, command: read(key) }] : [];
    });
    const values = await pipeline(readable.map((r) => r.command));
    for (const [i, { key }] of readable.entries()) {
      if (key.includes(marker) || JSON.stringify(values[i] ?? null).includes(marker)) hits.push(key);
    }
    for (const key of batch) if (key.includes(marker) && !hits.includes(key)) hits.push(key);
  } while (cursor !== "0");
  return { store, hits, scanned: `${keys} keys` };
}

const IDLE_MS = 5000;

/** The region's JetStream stream, every message stored since `since` (subjects and bodies). */
export async function scanJetStream(
  natsUrl: string,
  region: RegionId,
  since: Date,
  marker: string,
): Promise<ScanResult> {
  const stream = streamName(region);
  const store = `${region} JetStream (${stream}, messages since the canary began)`;
  const nc = await connect({ servers: natsUrl, timeout: 2000 }).catch(() => undefined);
  if (!nc) return { store, hits: [], scanned: `absent (no NATS at ${natsUrl})` };
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if (!info) return { store, hits: [], scanned: "absent (the stream does not exist)" };
    const last = info.state.last_seq;
    if (info.state.messages === 0 || Date.parse(info.state.last_ts) < since.getTime())
      return { store, hits: [], scanned: "0 messages" };
    const consumer = await jetstream(nc).consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    const needle = Buffer.from(marker);
    const hits: string[] = [];
    let messages = 0;
    const iterator = await consumer.consume({ max_messages: 1000 });
    // Messages can age out between the stream's info and the read: stop once none came for a while.
    let idle = setTimeout(() => iterator.stop(), IDLE_MS);
    let complete = false;
    for await (const m of iterator) {
      clearTimeout(idle);
      idle = setTimeout(() => iterator.stop(), IDLE_MS);
      messages++;
      if (m.subject.includes(marker) || Buffer.from(m.data).includes(needle))
        hits.push(`${m.subject} #${m.seq}`);
      if (m.seq >= last) {
        complete = true;
        break;
      }
    }
    clearTimeout(idle);
    await iterator.close();
    return { store, hits, scanned: `${messages} messages${complete ? "" : " (stopped: no more arrived)"}` };
  } finally {
    await nc.close();
  }
}

/** What a service that records its requests (the model and embedding stand-ins) received, as JSON. */
export async function scanRecordedRequests(
  store: string,
  url: string | undefined,
  marker: string,
): Promise<ScanResult> {
  if (!url) return { store, hits: [], scanned: "absent" };
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const { requests } = (await response.json()) as { requests: unknown[] };
  const hits = requests
    .filter((r) => JSON.stringify(r).includes(marker))
    .map((r, i) => `request ${i + 1}: ${JSON.stringify(r).slice(0, 80)}…`);
  return { store, hits, scanned: `${requests.length} requests` };
}
