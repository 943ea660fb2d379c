import type { Database } from "../../db/client";
import type { RegionId } from "../../regions/registry";
import type { AccessClaims } from "./auth/access-token";
import type { Config } from "./env";
import type { Actor } from "./services/context";

/** Hono's typing for this app: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    /** Set by authenticate; absent on public routes. */
    claims?: AccessClaims;
    actor?: Actor;
    /**
     * The region the credential belongs to (a token's `region`, an API key's prefix); residency
     * forwards when it is not this one. Set before verification for keys of another region,
     * which only their home region can look up.
     */
    homeRegion?: RegionId;
    /**
     * Set by idempotency while the request runs inside its interactive transaction: every
     * database access of the request goes through it (serviceContext, serviceDatabase).
     */
    database?: Database;
    /** Set by publishAfterCommit: the tenant whose events to publish once the request committed. */
    eventsOf?: string;
    /** Set by sendAfterCommit: outbox rows of mail to send once the request committed. */
    mailQueued?: string[];
  };
}
