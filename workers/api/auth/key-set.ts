import { z } from "zod";
import { isRegionId, REGION_IDS, type RegionId } from "../../../regions/registry";
import { type Rs256PublicJwk, rs256PrivateJwkSchema, rs256PublicJwkSchema } from "./jwk";
import { ACCESS_TOKEN_TTL_SECONDS } from "./token-format";

/**
 * The signing-key model. Every region publishes a set of public keys (the `JWKS` var holds all
 * regions' sets, so any region verifies any region's tokens); a token verifies if its `kid` names a
 * key in its issuer's set. The region signs with one private key (`JWT_SIGNING_KEY`, named by its
 * `kid`), so during a rotation its set is `[next or current, previous]`: publish the new key, switch
 * the secret, retire the old key. Pure functions over plain data, shared by the Worker and
 * `scripts/keys.ts`.
 */

/** How long verifiers may cache `/.well-known/jwks.json` (its `Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * A new key is published this long before anything signs with it: cached key sets have expired by
 * then, and one token lifetime more covers Worker versions still rolling out with the old var.
 */
export const WAIT_BEFORE_SIGNING_SECONDS = JWKS_MAX_AGE_SECONDS + ACCESS_TOKEN_TTL_SECONDS;

/** An old key stays published until every token it signed has expired (plus a minute of clock skew). */
export const WAIT_BEFORE_RETIRING_SECONDS = ACCESS_TOKEN_TTL_SECONDS + 60;

const keySetSchema = z.strictObject({ keys: z.array(rs256PublicJwkSchema) });

export type RegionKeySets = Record<RegionId, { keys: Rs256PublicJwk[] }>;

const regionKeySetsSchema = z.record(z.string(), keySetSchema).superRefine((sets, ctx) => {
  for (const region of Object.keys(sets)) {
    if (!isRegionId(region)) {
      ctx.addIssue({
        code: "custom",
        path: [region],
        message: `unknown region (regions: ${REGION_IDS.join(", ")})`,
      });
    }
  }
  for (const region of REGION_IDS) {
    if (!(region in sets)) {
      ctx.addIssue({
        code: "custom",
        path: [region],
        message: 'missing: every region needs an entry, {"keys":[]} before its first key',
      });
    }
  }
  // Unique across regions, not only within one: a kid names one key, and a repeated kid is a
  // copy-paste mistake that would make a region trust the wrong key.
  const seen = new Map<string, string>();
  for (const [region, set] of Object.entries(sets)) {
    set.keys.forEach((key, index) => {
      const where = `${region}.keys.${index}`;
      const first = seen.get(key.kid);
      if (first) {
        ctx.addIssue({
          code: "custom",
          path: [region, "keys", index, "kid"],
          message: `"${key.kid}" is also the kid of ${first}`,
        });
      } else seen.set(key.kid, where);
    });
  }
});

export type Outcome<T> = { ok: true; value: T } | { ok: false; problems: string[] };

const fail = (...problems: string[]): { ok: false; problems: string[] } => ({ ok: false, problems });

function describe(error: z.ZodError, label?: string): string[] {
  return error.issues.map((issue) => {
    const path = [label, ...issue.path.map(String)].filter(Boolean).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** The `JWKS` var's shape: every region, RS256 public keys only, unique kids. A region may have none yet. */
export function parseKeySets(value: unknown): Outcome<RegionKeySets> {
  const parsed = regionKeySetsSchema.safeParse(value);
  if (!parsed.success) return fail(...describe(parsed.error));
  return { ok: true, value: parsed.data as RegionKeySets };
}

/** Ready to deploy: well formed, and every region publishes at least one key. */
export function checkKeySets(value: unknown): Outcome<RegionKeySets> {
  const parsed = parseKeySets(value);
  if (!parsed.ok) return parsed;
  const empty = REGION_IDS.filter((region) => parsed.value[region].keys.length === 0);
  if (empty.length > 0) {
    return fail(
      ...empty.map((region) => `${region}: no key published; every ${region} token would be refused`),
    );
  }
  return parsed;
}

/** Rotation step 1: the region publishes `key` beside its current keys (newest first). */
export function publishKey(sets: RegionKeySets, region: RegionId, key: unknown): Outcome<RegionKeySets> {
  const parsed = rs256PublicJwkSchema.safeParse(key);
  if (!parsed.success) return fail(...describe(parsed.error, "new key"));
  const added = parsed.data;
  for (const other of REGION_IDS) {
    if (sets[other].keys.some((published) => published.kid === added.kid)) {
      return fail(`new key: kid "${added.kid}" is already published by ${other}`);
    }
  }
  return { ok: true, value: { ...sets, [region]: { keys: [added, ...sets[region].keys] } } };
}

/** Rotation step 3: the region stops publishing `kid`; never its last key. */
export function retireKey(sets: RegionKeySets, region: RegionId, kid: string): Outcome<RegionKeySets> {
  const keys = sets[region].keys;
  if (!keys.some((key) => key.kid === kid)) {
    const published = keys.map((key) => key.kid).join(", ") || "none";
    return fail(`${region} does not publish "${kid}" (published: ${published})`);
  }
  if (keys.length === 1) {
    return fail(
      `refusing to retire ${region}'s last key "${kid}": every ${region} token would be refused; ` +
        "publish its successor and switch JWT_SIGNING_KEY first",
    );
  }
  return { ok: true, value: { ...sets, [region]: { keys: keys.filter((key) => key.kid !== kid) } } };
}

/**
 * Whether a private key may become the region's `JWT_SIGNING_KEY`: its public half must be
 * published by that region under the same kid, or every token it signs is refused.
 */
export function checkSigningKey(sets: RegionKeySets, region: RegionId, privateKey: unknown): string[] {
  const parsed = rs256PrivateJwkSchema.safeParse(privateKey);
  if (!parsed.success) return describe(parsed.error, "signing key");
  const { kid, n, e } = parsed.data;
  const published = sets[region].keys.find((key) => key.kid === kid);
  if (!published) return [`signing key: ${region} does not publish kid "${kid}"; publish it first`];
  if (published.n !== n || published.e !== e) {
    return [`signing key: ${region} publishes another key under kid "${kid}"`];
  }
  return [];
}
