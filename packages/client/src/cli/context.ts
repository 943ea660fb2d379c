import { AuthorizationServer, type AuthProvider, apiKeyAuth, OAuthSession } from "../auth";
import { createNexusClient, type NexusClient } from "../client";
import { isRegionId, type RegionId, resolveBaseUrl } from "../regions";
import { configDir, loadLogin, type StoredLogin, saveLogin } from "./credentials";
import { CliError, consoleOutput, type Output } from "./output";

/** The options every command takes (commander's global options). */
export interface GlobalOptions {
  profile: string;
  baseUrl?: string;
  region?: string;
  apiKey?: string;
  json?: boolean;
  configDir?: string;
}

export const CLI_CLIENT_ID = "nexus-cli";

export interface CommandContext {
  output: Output;
  dir: string;
  profile: string;
  /** Where to call: --base-url, else the login's, else the region's. */
  target(): { baseUrl: string; region: RegionId | undefined };
  /** A client with the stored (or given) credential; refreshed tokens are saved back. */
  client(): NexusClient;
  /** A client without a credential (public routes: presets, activation). */
  anonymousClient(): NexusClient;
  login(): StoredLogin | undefined;
}

function regionUrlsFromEnv(): Partial<Record<RegionId, string>> | undefined {
  const raw = process.env.NEXUS_REGION_URLS;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Partial<Record<RegionId, string>>;
  } catch {
    throw new CliError('NEXUS_REGION_URLS is not JSON (e.g. {"eu":"http://127.0.0.1:8787"})', 2);
  }
}

export function commandContext(options: GlobalOptions): CommandContext {
  const output = consoleOutput(Boolean(options.json));
  const dir = options.configDir ?? configDir();
  const profile = options.profile;
  if (options.region && !isRegionId(options.region))
    throw new CliError(`--region: unknown region ${options.region} (eu, lagos)`, 2);
  const region = options.region as RegionId | undefined;
  const login = () => loadLogin(dir, profile);

  const target = () => {
    const stored = login();
    const explicit = options.baseUrl ?? process.env.NEXUS_BASE_URL;
    const regionUrls = regionUrlsFromEnv();
    if (explicit) return resolveBaseUrl({ baseUrl: explicit, region, regionUrls });
    if (stored && (!region || region === stored.region))
      return { baseUrl: stored.base_url, region: stored.region };
    return resolveBaseUrl({ region, regionUrls, credential: options.apiKey ?? process.env.NEXUS_API_KEY });
  };

  const credential = (): AuthProvider => {
    const key = options.apiKey ?? process.env.NEXUS_API_KEY;
    if (key) return apiKeyAuth(key);
    const stored = login();
    if (stored?.api_key) return apiKeyAuth(stored.api_key);
    if (!stored?.tokens)
      throw new CliError("not signed in: run `nexus login` (or pass --api-key / NEXUS_API_KEY)");
    return new OAuthSession({
      tokens: stored.tokens,
      server: () =>
        AuthorizationServer.discover({
          issuer: stored.base_url,
          clientId: stored.client_id ?? CLI_CLIENT_ID,
        }),
      // Refresh tokens rotate: the used one is dead, so the new one must reach the file.
      onTokens: (tokens) =>
        saveLogin(dir, profile, { ...stored, tokens, saved_at: new Date().toISOString() }),
    });
  };

  const headers = { "User-Agent": "nexus-cli/0.1" };
  return {
    output,
    dir,
    profile,
    target,
    login,
    client: () => createNexusClient({ ...target(), auth: credential(), headers }),
    anonymousClient: () => createNexusClient({ ...target(), headers }),
  };
}
