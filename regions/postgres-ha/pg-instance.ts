import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

// Throwaway Postgres servers of the machine's own binaries (initdb, pg_ctl, pg_basebackup), each
// in its own directory on its own loopback port: what the restore drill and the failover test run
// on, so neither ever touches the machine's cluster on 5432. Root may not run Postgres, so as
// root every command runs as the `postgres` user, which then owns the directories.

const run = promisify(execFile);

/** Where initdb and friends live; PG_BIN overrides (Debian: /usr/lib/postgresql/<major>/bin). */
export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

interface RunAs {
  uid: number;
  gid: number;
}

let runAs: RunAs | null | undefined;

async function owner(): Promise<RunAs | null> {
  if (runAs !== undefined) return runAs;
  if (process.getuid?.() !== 0) {
    runAs = null;
    return runAs;
  }
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run("id", ["-u", "postgres"]),
    run("id", ["-g", "postgres"]),
  ]);
  runAs = { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  return runAs;
}

/** Runs one of the Postgres binaries (as `postgres` when we are root); rejects with its output. */
export async function pgCommand(binary: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const as = await owner();
  try {
    const { stdout } = await run(join(PG_BIN, binary), args, {
      timeout: timeoutMs,
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
      env: { ...process.env, LC_ALL: "C.UTF-8", PGTZ: "UTC" },
    });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${binary} ${args.join(" ")} failed: ${(stderr || stdout || String(error)).trim()}`);
  }
}

/** `cp -a` as the owner of the Postgres processes, so the copy stays theirs (a restored data directory). */
export async function copyDirectory(from: string, to: string): Promise<void> {
  const as = await owner();
  await run("cp", ["-a", from, to], { timeout: 300_000, ...(as ? { uid: as.uid, gid: as.gid } : {}) });
}

/** A directory the Postgres processes may write (owned by `postgres` when we are root). */
export async function ownedDirectory(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const as = await owner();
  if (as) await chown(path, as.uid, as.gid);
  return path;
}

/** A workspace for a drill or test; `remove()` deletes it with everything in it. */
export async function workspace(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  await ownedDirectory(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface PgInstance {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust on loopback). */
  url(database?: string): string;
  start(): Promise<void>;
  /** fast: roll back and checkpoint; immediate: as a crash or a lost node would leave it. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** A standby becomes a primary (pg_ctl promote waits until it accepts writes). */
  promote(): Promise<void>;
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  running(): boolean;
}

function settings(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} = '${String(value).replaceAll("'", "''")}'`)
    .join("\n");
}

/** The parameters every instance here gets: loopback only, sockets in its own directory, WAL enough for replicas. */
function baseSettings(port: number, socketDir: string): Record<string, string | number> {
  return {
    listen_addresses: "127.0.0.1",
    port,
    unix_socket_directories: socketDir,
    wal_level: "replica",
    max_wal_senders: 5,
    max_connections: 50,
    shared_buffers: "32MB",
    fsync: "on",
    log_min_messages: "warning",
    timezone: "UTC",
  };
}

function instance(name: string, dataDir: string, port: number, logFile: string): PgInstance {
  let up = false;
  return {
    name,
    dataDir,
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      try {
        await pgCommand("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "120", "start"]);
      } catch (error) {
        const tail = (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-15).join("\n");
        throw new Error(`${(error as Error).message}\n${logFile}:\n${tail}`);
      }
      up = true;
    },
    async stop(mode = "fast") {
      if (!up) return;
      await pgCommand("pg_ctl", ["-D", dataDir, "-m", mode, "-w", "-t", "60", "stop"]);
      up = false;
    },
    async promote() {
      await pgCommand("pg_ctl", ["-D", dataDir, "-w", "-t", "60", "promote"]);
    },
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = "postgres") {
      const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database });
      await client.connect();
      try {
        return (await client.query<T>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    running: () => up,
  };
}

/** A new primary: initdb (with data checksums) into `<dir>/<name>`, extra settings, started. */
export async function createPrimary(options: {
  dir: string;
  name: string;
  settings?: Record<string, string | number>;
}): Promise<PgInstance> {
  const dataDir = join(options.dir, options.name);
  const socketDir = await ownedDirectory(join(options.dir, `${options.name}.sock`));
  await ownedDirectory(dataDir);
  // --no-sync: a throwaway directory; losing the machine loses the whole workspace anyway.
  await pgCommand("initdb", [
    "--no-sync",
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "--data-checksums",
    "-E",
    "UTF8",
  ]);
  const port = await freeLoopbackPort();
  await appendSettings(dataDir, { ...baseSettings(port, socketDir), ...options.settings });
  const created = instance(options.name, dataDir, port, join(options.dir, `${options.name}.log`));
  await created.start();
  return created;
}

/** A streaming standby of `primary`: pg_basebackup -R into `<dir>/<name>`, started. */
export async function createStandby(options: {
  dir: string;
  name: string;
  primary: PgInstance;
  settings?: Record<string, string | number>;
}): Promise<PgInstance> {
  const dataDir = join(options.dir, options.name);
  const socketDir = await ownedDirectory(join(options.dir, `${options.name}.sock`));
  await ownedDirectory(dataDir);
  await pgCommand("pg_basebackup", [
    "-h",
    "127.0.0.1",
    "-p",
    String(options.primary.port),
    "-U",
    "postgres",
    "-D",
    dataDir,
    "-X",
    "stream",
    "-c",
    "fast",
    "-R",
  ]);
  const port = await freeLoopbackPort();
  await appendSettings(dataDir, {
    ...baseSettings(port, socketDir),
    // A replica must not archive into the primary's archive as well.
    archive_mode: "off",
    ...options.settings,
  });
  const created = instance(options.name, dataDir, port, join(options.dir, `${options.name}.log`));
  await created.start();
  return created;
}

/** Wraps a data directory made by other means (a restored base backup) as an instance. */
export async function adoptDataDirectory(options: {
  dir: string;
  name: string;
  dataDir: string;
  settings: Record<string, string | number>;
  signal?: "recovery.signal" | "standby.signal";
}): Promise<PgInstance> {
  const socketDir = await ownedDirectory(join(options.dir, `${options.name}.sock`));
  const port = await freeLoopbackPort();
  await appendSettings(options.dataDir, { ...baseSettings(port, socketDir), ...options.settings });
  if (options.signal) await writeOwned(join(options.dataDir, options.signal), "");
  return instance(options.name, options.dataDir, port, join(options.dir, `${options.name}.log`));
}

async function writeOwned(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  const as = await owner();
  if (as) await chown(path, as.uid, as.gid);
}

/** postgresql.auto.conf wins over postgresql.conf and is what ALTER SYSTEM writes too. */
async function appendSettings(dataDir: string, values: Record<string, string | number>): Promise<void> {
  const path = join(dataDir, "postgresql.auto.conf");
  const existing = await readFile(path, "utf8").catch(() => "");
  await writeOwned(path, `${existing}\n${settings(values)}\n`);
}
