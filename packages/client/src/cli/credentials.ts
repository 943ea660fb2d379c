import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TokenSet } from "../auth";
import type { RegionId } from "../regions";

/** What `nexus login` keeps: where to call, and the credential (tokens or an API key). */
export interface StoredLogin {
  base_url: string;
  region?: RegionId | undefined;
  client_id?: string | undefined;
  tokens?: TokenSet | undefined;
  api_key?: string | undefined;
  saved_at: string;
}

interface CredentialsFile {
  version: 1;
  profiles: Record<string, StoredLogin>;
}

/** `$NEXUS_CONFIG_DIR`, else `$XDG_CONFIG_HOME/nexus`, else `~/.config/nexus`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.NEXUS_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "nexus");
}

export const credentialsPath = (dir: string) => join(dir, "credentials.json");

function readFile(dir: string): CredentialsFile {
  try {
    const parsed = JSON.parse(readFileSync(credentialsPath(dir), "utf8")) as CredentialsFile;
    return parsed?.version === 1 && parsed.profiles ? parsed : { version: 1, profiles: {} };
  } catch {
    return { version: 1, profiles: {} };
  }
}

export function loadLogin(dir: string, profile: string): StoredLogin | undefined {
  return readFile(dir).profiles[profile];
}

/**
 * Writes the file readable by its owner only (0600, in a 0700 folder), through a temporary file
 * renamed into place, so a crash mid-write never leaves a half file or a moment of wider access.
 */
export function saveLogin(dir: string, profile: string, login: StoredLogin | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = readFile(dir);
  if (login) file.profiles[profile] = login;
  else delete file.profiles[profile];
  const target = credentialsPath(dir);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, target);
}
