import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface DevStack {
  dataDir: string;
  eu: string;
  lagos: string;
  gateways: { eu: string; lagos: string };
  output: string[];
  /** Everything the stack printed so far, kept up to date while it runs (beside, not in, dataDir). */
  outputFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the README's run command (`npm run dev`, i.e. regions/local/dev.ts) exactly as a
 * developer would, in a temporary data folder and with shifted ports, and stops it with the
 * Ctrl-C a developer would press (SIGINT to its process group).
 */
export async function startDevStack(options: {
  portOffset: number;
  extraArgs?: string[];
}): Promise<DevStack> {
  const dataDir = mkdtempSync(join(tmpdir(), "nexus-e2e-"));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "regions/local/dev.ts",
      "--data-dir",
      dataDir,
      "--port-offset",
      String(options.portOffset),
      ...(options.extraArgs ?? []),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const output: string[] = [];
  const outputFile = `${dataDir}.log`;
  const record = (line: string) => {
    output.push(line);
    appendFileSync(outputFile, `${line}\n`);
  };
  const lines = createInterface({ input: child.stdout });
  lines.on("line", record);
  createInterface({ input: child.stderr }).on("line", record);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dev stack not ready in 180 s:\n${output.join("\n")}`)),
      180_000,
    );
    lines.on("line", (line) => {
      if (line.startsWith("Nexus Edge is running")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dev stack exited with ${code}:\n${output.join("\n")}`));
    });
  });

  const port = (base: number) => `http://127.0.0.1:${base + options.portOffset}`;
  return {
    dataDir,
    eu: port(8787),
    lagos: port(8788),
    gateways: { eu: port(4401), lagos: port(4402) },
    output,
    outputFile,
    stop: () => stop(child, dataDir, outputFile),
  };
}

async function stop(child: ChildProcess, dataDir: string, outputFile: string): Promise<void> {
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(-child.pid, "SIGINT");
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outputFile, { force: true });
}
