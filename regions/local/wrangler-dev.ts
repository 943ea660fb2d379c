import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import type { RegionId } from "../registry";
import { PROJECT_ROOT } from "./paths";

export interface WorkerProcess {
  url: string;
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  region: RegionId;
  port: number;
  inspectorPort: number;
  persistDir: string;
  vars: Record<string, string>;
  /** The stack fires the scheduled handler itself (cron-ticker.ts): wrangler's warning that nothing does is dropped. */
  cronFired: boolean;
  onLine: (line: string) => void;
}

/** Environment that keeps wrangler off the network: this stack must work offline. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  // "log" shows the Worker's console.log lines (our request log line) beside wrangler's own.
  WRANGLER_LOG: "log",
  // Miniflare's local trace store (on by default, whatever wrangler.toml says) records every
  // request's full URL on disk: off, as Workers traces are in wrangler.toml.
  X_LOCAL_OBSERVABILITY: "false",
} as const;

/** Starts `wrangler dev --env local-<region>` (workerd underneath) and resolves once it serves. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WorkerProcess> {
  const args = [
    join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--env",
    `local-${options.region}`,
    // Loopback only: the dev port also serves wrangler's trigger endpoint /cdn-cgi/local/scheduled
    // (cron-ticker.ts fires it), which must not be reachable from another machine.
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(options.inspectorPort),
    "--persist-to",
    options.persistDir,
    "--show-interactive-dev-session=false",
    ...Object.entries(options.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  // Own process group, so stopping takes workerd (wrangler's child) down with it.
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const isCronWarning = options.cronFired ? cronWarningFilter() : () => false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      if (!isWranglerRequestLine(line) && !isCronWarning(line)) options.onLine(line);
    });
  }

  const url = `http://127.0.0.1:${options.port}`;
  await waitForHealth(url, child, 120_000);
  return { url, stop: () => stopProcessGroup(child) };
}

/**
 * wrangler's own line per request (`[wrangler:info] GET /api/v1/… 200 OK (12ms)`) logs the path,
 * ids included; the Worker's request line (route template, status, tenant, request id) is the one log.
 */
export function isWranglerRequestLine(line: string): boolean {
  return /^\[wrangler:info\] [A-Z]+ \//.test(stripVTControlCharacters(line));
}

/**
 * wrangler's five-line warning, once per start, that "Scheduled Workers are not automatically
 * triggered during local development" (up to its "For more details" line): untrue when the stack
 * fires them. Stateful: answers true for each line of that block.
 */
export function cronWarningFilter(): (line: string) => boolean {
  let inWarning = false;
  return (raw) => {
    const line = stripVTControlCharacters(raw);
    if (line.includes("Scheduled Workers are not automatically triggered")) inWarning = true;
    if (!inWarning) return false;
    if (line.includes("For more details, see")) inWarning = false;
    return true;
  };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopProcessGroup(child);
  throw new Error(`wrangler dev did not serve ${url}/health within ${timeoutMs / 1000} s`);
}

export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  const killTimer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(killTimer);
}
