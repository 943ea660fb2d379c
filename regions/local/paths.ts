import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Git-ignored: PGlite data, dev signing keys, the running stack's description, wrangler state. */
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, ".data");

export const devKeysFile = (dataDir: string) => join(dataDir, "dev-keys.json");
export const devSecretsFile = (dataDir: string) => join(dataDir, "dev-secrets.json");
export const stackFile = (dataDir: string) => join(dataDir, "stack.json");
