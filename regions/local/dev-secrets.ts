import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { REGION_IDS, type RegionId } from "../registry";

export interface RegionSecrets {
  /** DATA_ENCRYPTION_KEY: 32 random bytes, base64 (TOTP seeds and webhook secrets at rest). */
  dataEncryptionKey: string;
}

/**
 * Development secrets other than signing keys, made once and kept in the git-ignored data folder
 * (encrypted MFA seeds must stay readable across restarts). Production: `wrangler secret put`.
 */
export function loadOrCreateDevSecrets(file: string): Record<RegionId, RegionSecrets> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Record<RegionId, RegionSecrets>;
  const secrets = Object.fromEntries(
    REGION_IDS.map((region) => [region, { dataEncryptionKey: randomBytes(32).toString("base64") }]),
  ) as Record<RegionId, RegionSecrets>;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
