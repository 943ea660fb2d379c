import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `npm run residency-check -- ARGS` against a running stack, as an operator runs it: its output and exit code. */
export async function residencyCheck(
  args: string[],
  timeoutMs = 240_000,
): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["node_modules/tsx/dist/cli.mjs", "scripts/residency-check.ts", ...args],
      { cwd: root, timeout: timeoutMs },
    );
    return { stdout, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: `${e.stdout}\n${e.stderr}`, code: e.code };
  }
}
