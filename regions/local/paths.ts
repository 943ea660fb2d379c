import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Git-ignored: PGlite data, dev signing keys, the running stack's description, wrangler state. */
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, ".data");

export const devKeysFile = (dataDir: string) => join(dataDir, "dev-keys.json");
export const devSecretsFile = (dataDir: string) => join(dataDir, "dev-secrets.json");
export const stackFile = (dataDir: string) => join(dataDir, "stack.json");
/** Where `npm run dev` keeps each region's Worker log lines at rest (the residency check scans them). */
export const workerLogFile = (dataDir: string, region: string) =>
  join(dataDir, "logs", `worker-${region}.log`);
