import type { Database } from "../../../db/client";
import { clientSecretMatches, findClient, type OAuthClientRecord } from "../services/identity/clients";
import { OAuthError } from "./oauth-error";

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before base64. */
function fromBasic(header: string): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  try {
    const decode = (s: string) => decodeURIComponent(s.replaceAll("+", " "));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * Who is calling the token or revocation endpoint: a confidential client by its secret (Basic
 * or in the body), a public client by its id alone (in the body, or Basic with no password). A confidential client without its secret
 * is refused, whatever it asks.
 */
export async function authenticateClient(
  db: Database,
  authorization: string | undefined,
  form: Record<string, unknown>,
): Promise<OAuthClientRecord> {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  let id = str(form.client_id);
  let secret = str(form.client_secret);
  if (authorization) {
    const basic = fromBasic(authorization);
    if (!basic) throw new OAuthError("invalid_client", "Malformed client credentials");
    if (id !== undefined && id !== basic.id)
      throw new OAuthError("invalid_request", "client_id disagrees with the credentials");
    if (secret !== undefined) throw new OAuthError("invalid_request", "Use one client authentication method");
    id = basic.id;
    // Browser clients such as the /docs page's (Scalar, Swagger UI) send a public client's id
    // as Basic with an empty password: that identifies it, it does not claim a secret.
    secret = basic.secret === "" ? undefined : basic.secret;
  }
  if (!id) throw new OAuthError("invalid_client", "Client authentication is required");
  const client = await findClient(db, id);
  if (!client) throw new OAuthError("invalid_client", "Client authentication failed");
  if (client.type === "confidential") {
    if (!secret || !(await clientSecretMatches(client, secret))) {
      throw new OAuthError("invalid_client", "Client authentication failed");
    }
  } else if (secret !== undefined) {
    throw new OAuthError("invalid_client", "A public client has no secret");
  }
  return client;
}
