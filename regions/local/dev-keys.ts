import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { REGION_IDS, type RegionId } from "../registry";

export interface RegionKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A fresh RS256 signing key for a region; `kid` names region and date so rotations read clearly. */
export async function generateRegionKey(region: RegionId): Promise<RegionKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `${region}-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  const common = { kid, alg: "RS256", use: "sig" };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...common },
    publicJwk: { ...(await exportJWK(publicKey)), ...common },
  };
}

/**
 * Development signing keys, made once and kept in the git-ignored data folder so tokens stay
 * valid across restarts. Production keys live only in wrangler secrets.
 */
export async function loadOrCreateDevKeys(file: string): Promise<Record<RegionId, RegionKey>> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Record<RegionId, RegionKey>;
  const keys = {} as Record<RegionId, RegionKey>;
  for (const region of REGION_IDS) keys[region] = await generateRegionKey(region);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

/**
 * The JWKS binding every region gets: all regions' public keys, by region. `alsoPublished` adds
 * keys a region publishes beside its signing key, as during a rotation (scripts/keys.ts).
 */
export function jwksBinding(
  keys: Record<RegionId, RegionKey>,
  alsoPublished: Partial<Record<RegionId, RegionKey[]>> = {},
): string {
  return JSON.stringify(
    Object.fromEntries(
      REGION_IDS.map((r) => [
        r,
        { keys: [keys[r], ...(alsoPublished[r] ?? [])].map((key) => key.publicJwk) },
      ]),
    ),
  );
}
