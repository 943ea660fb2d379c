import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";
import { randomToken, sha256Hex } from "../../oauth/encoding";

/** SECURITY.md / issue 3: 30 minutes idle, 8 hours absolute. */
export const SESSION_IDLE_SECONDS = 30 * 60;
export const SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60;

export interface SignInSession {
  id: string;
  userId: string;
  /** When the user last proved who they are (OIDC auth_time). */
  createdAt: string;
}

/** A new session; answers the cookie value (shown to the browser only, stored as a hash). */
export async function createSession(
  db: Database,
  userId: string,
): Promise<{ cookie: string; session: SignInSession }> {
  const cookie = randomToken(32);
  const [row] = await rowsOf<{ id: string; created_at: string }>(
    db,
    sql`insert into auth_sessions (user_id, token_hash, expires_at)
        values (${userId}, ${await sha256Hex(cookie)}, now() + make_interval(secs => ${SESSION_ABSOLUTE_SECONDS}))
        returning id, created_at`,
  );
  if (!row) throw new Error("session insert returned nothing");
  return { cookie, session: { id: row.id, userId, createdAt: row.created_at } };
}

/**
 * The live session of a cookie, sliding its idle expiry. One statement: an idle, expired or
 * revoked session matches nothing and is not touched.
 */
export async function resumeSession(db: Database, cookie: string | undefined): Promise<SignInSession | null> {
  if (!cookie || cookie.length > 64) return null;
  const [row] = await rowsOf<{ id: string; user_id: string; created_at: string }>(
    db,
    sql`update auth_sessions set last_seen_at = now()
        where token_hash = ${await sha256Hex(cookie)} and revoked_at is null and expires_at > now()
          and last_seen_at > now() - make_interval(secs => ${SESSION_IDLE_SECONDS})
        returning id, user_id, created_at`,
  );
  return row ? { id: row.id, userId: row.user_id, createdAt: row.created_at } : null;
}

export async function revokeSession(db: Database, cookie: string): Promise<void> {
  await rowsOf(
    db,
    sql`update auth_sessions set revoked_at = now() where token_hash = ${await sha256Hex(cookie)}`,
  );
}
