import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(root, "packages/client/bin/nexus.mjs");

/** A config folder of its own per test file, as a user's ~/.config/nexus. */
export const cliConfigDir = () => mkdtempSync(join(tmpdir(), "nexus-cli-"));

/** Runs `nexus …` to completion, as a user would in a shell. */
export async function nexus(
  configDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: root,
      env: { ...process.env, NEXUS_CONFIG_DIR: configDir, ...env },
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: typeof e.code === "number" ? e.code : 1 };
  }
}

/** Starts a long-running `nexus …` (login, events tail, webhooks listen) and follows its stderr. */
export function nexusProcess(configDir: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd: root,
    env: { ...process.env, NEXUS_CONFIG_DIR: configDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves with the first match of `pattern` in stderr (or rejects when the process ends first). */
    async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stderr);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`nexus exited ${child.exitCode}: ${stderr}${stdout}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}
