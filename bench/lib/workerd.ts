import { execFileSync, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { hasExited, stopProcess, tail } from "./processes";

const require = createRequire(import.meta.url);

export interface WorkerdBinary {
  path: string;
  /** npm package version, e.g. 1.20261117.1 */
  packageVersion: string;
  /** What the binary says, e.g. "workerd 2026-11-17" */
  version: string;
}

/**
 * The workerd that wrangler itself would run. The project's top-level `workerd` package can be
 * an older one (another dependency pins it), and the bundle wrangler builds targets its own
 * runtime, so resolve `workerd` from wrangler's folder rather than node_modules/.bin.
 */
export function resolveWorkerd(): WorkerdBinary {
  const wranglerDir = dirname(require.resolve("wrangler/package.json"));
  const fromWrangler = createRequire(`${wranglerDir}/`);
  const workerd = fromWrangler("workerd") as { default: string; version: string };
  const version = execFileSync(workerd.default, ["--version"], { encoding: "utf8" }).trim();
  return { path: workerd.default, packageVersion: workerd.version, version };
}

/**
 * A port nobody holds right now. The Worker's own URL goes into REGION_URLS (the token issuer)
 * before workerd starts, so workerd cannot simply be given port 0. The window between closing
 * this probe and workerd binding is tiny; if lost, workerd exits and the error says so.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface RunningWorkerd {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `workerd serve` on the generated config. stdout carries only the app's console.log
 * lines (one per request from the request-log middleware) and goes to /dev/null: written to a
 * file, those synchronous writes on workerd's single thread cost ~15 % of (a)'s throughput here,
 * a cost production does not have (Workers Logs are shipped by the runtime, off the request
 * path). The lines are still built, so their CPU is measured. stderr (runtime messages and the
 * error handler's console.error) goes to the log file, shown when something fails.
 */
export function startWorkerd(options: {
  binary: string;
  configFile: string;
  cwd: string;
  logFile: string;
  /** --experimental: the scheduled trigger's service_binding_extra_handlers needs it (Miniflare always passes it). */
  experimental?: boolean;
  /** `--inspector-addr`: the DevTools protocol on this address (bench --profile takes a CPU profile through it). */
  inspectorAddress?: string;
}) {
  const log = openSync(options.logFile, "a");
  const args = [
    "serve",
    ...(options.experimental ? ["--experimental"] : []),
    ...(options.inspectorAddress ? [`--inspector-addr=${options.inspectorAddress}`] : []),
    options.configFile,
  ];
  const child = spawn(options.binary, args, {
    cwd: options.cwd,
    stdio: ["ignore", "ignore", log],
  });
  return { child, running: { pid: child.pid!, stop: () => stopProcess(child) } satisfies RunningWorkerd };
}

/**
 * Ready means /health answers 200: the Worker parsed its bindings and reached Postgres through
 * the gateway. Fails early, with workerd's last words, if the process dies.
 */
export async function waitForHealth(options: {
  url: string;
  child: Parameters<typeof hasExited>[0];
  logFile: string;
  timeoutMs: number;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (hasExited(options.child)) {
      throw new Error(`workerd exited before it was healthy:\n${tail(options.logFile)}`);
    }
    try {
      const response = await fetch(`${options.url}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (response.status === 200) return;
      last = `HTTP ${response.status}: ${body.slice(0, 300)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `workerd was not healthy within ${options.timeoutMs} ms (${last}):\n${tail(options.logFile)}`,
  );
}
