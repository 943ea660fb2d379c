import { createHash, timingSafeEqual } from "node:crypto";

// Bearer-token check for every endpoint but /health.
// Both sides are hashed before timingSafeEqual so the comparison takes the same time whatever the
// length or content of the presented token (timingSafeEqual itself throws on unequal lengths).

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Extracts the token from `Authorization: Bearer <token>`, or from `?_token=` as Upstash also accepts. */
export function presentedToken(
  authorization: string | undefined,
  queryToken: string | null,
): string | undefined {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1] ?? queryToken ?? undefined;
}

/** Returns a checker bound to the expected token; the expected digest is computed once. */
export function tokenChecker(expected: string): (presented: string | undefined) => boolean {
  const expectedDigest = digest(expected);
  return (presented) => {
    // Hash even when nothing was presented, so a missing token costs the same as a wrong one.
    const presentedDigest = digest(presented ?? "");
    return timingSafeEqual(presentedDigest, expectedDigest) && presented !== undefined;
  };
}
