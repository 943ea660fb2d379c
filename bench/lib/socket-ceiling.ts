import { execFileSync } from "node:child_process";

/** The design's ceiling per tenant (ten shards of 1,000): the bench never opens more. */
const DESIGN_MAX = 10_000;
/** Descriptors workerd needs besides the sockets: listeners, SQLite files of the objects, the gateway's. */
const RESERVED_DESCRIPTORS = 1_000;

/**
 * "As many sockets as the machine holds" for `--realtime-sockets max`. What binds first on one
 * machine is the open-file limit of the workerd process, which holds every socket of the tenant:
 * workerd keeps two descriptors per accepted WebSocket (measured: each socket's inode appears
 * twice in /proc/<pid>/fd), so a 20,000 limit holds about 9,500 sockets. The limit is read from
 * the shell the bench's children inherit, rounded down to a multiple of 500.
 */
export function socketCeiling(): number {
  const raw = execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
  const limit = raw === "unlimited" ? Number.POSITIVE_INFINITY : Number(raw);
  if (!Number.isFinite(limit)) return DESIGN_MAX;
  const fits = Math.floor((limit - RESERVED_DESCRIPTORS) / 2 / 500) * 500;
  return Math.max(500, Math.min(DESIGN_MAX, fits));
}
