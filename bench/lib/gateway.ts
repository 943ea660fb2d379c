import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stopProcess, tail } from "./processes";

export interface RunningGateway {
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** SIGSTOP freezes it (connections are accepted by the kernel, nothing answers), SIGCONT thaws it. */
  signal(name: "SIGSTOP" | "SIGCONT"): void;
}

const START_TIMEOUT_MS = 30_000;

/** Starts bench/lib/gateway-process.ts under tsx and waits for the URL it prints. */
export async function startGatewayProcess(options: {
  upstream: string;
  poolSize: number;
  logFile: string;
}): Promise<RunningGateway> {
  const entry = fileURLToPath(new URL("./gateway-process.ts", import.meta.url));
  const log = openSync(options.logFile, "a");
  // tsx's loader on this same Node binary: the child needs no build step and no PATH lookup.
  const child = spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      entry,
      JSON.stringify({ upstream: options.upstream, poolSize: options.poolSize }),
    ],
    { stdio: ["pipe", "pipe", log] },
  );
  const stop = () => stopProcess(child);

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("SQL gateway did not start in time")),
        START_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          reject(new Error(`unexpected line from the SQL gateway: ${line}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`SQL gateway exited (code ${code}) before listening:\n${tail(options.logFile)}`));
      });
      child.once("error", reject);
    });
    return { url, pid: child.pid!, stop, signal: (name) => child.kill(name) };
  } catch (error) {
    await stop();
    throw error;
  }
}
