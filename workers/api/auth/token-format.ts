import type { RegionId } from "../../../regions/registry";

/** Shared by the verifier and the issuer (and Node tooling, which must not import Worker types). */
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** The longest access-token lifetime a client may be given (schemas/oauth-client.ts). */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;

/** What a verified access token says, as the rest of the Worker uses it. */
export interface AccessClaims {
  userId: string;
  tenantId: string;
  region: RegionId;
  role: string;
  /** A custom role's permissions (`perms` claim); null for system roles, whose sets are in code. */
  permissions: string[] | null;
  scopes: string[];
  jti: string;
  expiresAt: number;
  /** The OAuth client it was issued to (null for tokens minted outside the authorization server). */
  clientId: string | null;
  /** Its refresh-token family, when it came from a user grant. */
  sessionId: string | null;
  /** Issued by client_credentials: `userId` is an OAuth client's id. */
  machine: boolean;
}
