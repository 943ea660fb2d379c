import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { createInterface } from "node:readline";
import { stopProcess, tail } from "./processes";

export interface NodeChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** SIGSTOP freezes it (connections are accepted by the kernel, nothing answers), SIGCONT thaws it. */
  signal(name: "SIGSTOP" | "SIGCONT"): void;
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts a TypeScript entry under tsx on this same Node binary (no build step, no PATH lookup)
 * with one JSON argument, and waits for the `{url}` line it prints once listening. Its stderr
 * goes to `logFile`; `nodeArgs` come before the loader (e.g. `--cpu-prof`).
 */
export async function startNodeChild(options: {
  what: string;
  entry: string;
  argument: unknown;
  logFile: string;
  nodeArgs?: readonly string[];
}): Promise<NodeChild> {
  const log = openSync(options.logFile, "a");
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--import",
      import.meta.resolve("tsx"),
      options.entry,
      JSON.stringify(options.argument),
    ],
    { stdio: ["pipe", "pipe", log] },
  );
  const stop = () => stopProcess(child);

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.what} did not start in time`)),
        START_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          reject(new Error(`unexpected line from the ${options.what}: ${line}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(
          new Error(`${options.what} exited (code ${code}) before listening:\n${tail(options.logFile)}`),
        );
      });
      child.once("error", reject);
    });
    return { url, pid: child.pid!, stop, signal: (name) => child.kill(name) };
  } catch (error) {
    await stop();
    throw error;
  }
}
