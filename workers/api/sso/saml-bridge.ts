import { z } from "zod";
import { ApiError } from "../lib/errors";

/**
 * The Worker's side of the region's SAML bridge (regions/saml-bridge): it registers a tenant's
 * SAML IdP there and gets back an OpenID issuer, client id and secret for it. The XML (the IdP's
 * certificate, every assertion) stays in the bridge; the Worker only ever speaks OIDC to it.
 */
export interface SamlBridge {
  url: string;
  token: string;
}

/** Either the three fields or the IdP's metadata (the schema sees to it); the bridge reads the XML. */
export interface SamlIdpSettings {
  idp_entity_id?: string | undefined;
  idp_sso_url?: string | undefined;
  idp_certificates?: string[] | undefined;
  idp_metadata?: string | undefined;
}

const Registered = z.object({
  issuer: z.url(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  service_provider: z.object({ entity_id: z.string(), acs_url: z.url(), metadata_url: z.url() }),
  /** The IdP the bridge now trusts: what it read from the metadata, if that is what it was given. */
  idp: z
    .object({ entity_id: z.string().min(1), sso_url: z.url(), certificate_count: z.number().int().min(1) })
    .optional(),
});
export type SamlRegistration = z.infer<typeof Registered>;

const Refused = z.object({
  error: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const TIMEOUT_MS = 5_000;

function bridgeOf(bridge: SamlBridge | undefined): SamlBridge {
  if (!bridge) throw ApiError.unavailable("SAML connections are not available in this region", 60);
  return bridge;
}

async function call(bridge: SamlBridge, method: "PUT" | "DELETE", connectionId: string, body?: unknown) {
  try {
    return await fetch(`${bridge.url.replace(/\/+$/, "")}/admin/connections/${connectionId}`, {
      method,
      headers: {
        Authorization: `Bearer ${bridge.token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw ApiError.unavailable("The region's SAML bridge cannot be reached");
  }
}

/** Registers (or replaces) the connection's IdP; every call hands out a new client secret. */
export async function registerSamlConnection(
  bridge: SamlBridge | undefined,
  connectionId: string,
  body: SamlIdpSettings & { tenant_id: string; redirect_uris: string[] },
): Promise<SamlRegistration> {
  const res = await call(bridgeOf(bridge), "PUT", connectionId, body);
  const payload = await res.json().catch(() => undefined);
  if (res.status === 400) {
    const refused = Refused.safeParse(payload);
    // Only the administrator's own fields are named; tenant and redirect URIs are ours.
    const issues = (refused.success ? (refused.data.issues ?? []) : [])
      .filter((i) => i.field.startsWith("idp_"))
      .map((i) => ({ field: `saml.${i.field}`, message: i.message }));
    throw ApiError.validation(
      issues.length > 0 ? issues : [{ field: "saml", message: "The SAML bridge refused these settings" }],
    );
  }
  const registered = Registered.safeParse(payload);
  if (!res.ok || !registered.success) {
    throw ApiError.unavailable("The region's SAML bridge did not register the connection");
  }
  return registered.data;
}

/** Forgets the connection at the bridge; answers false if the bridge could not be told. */
export async function removeSamlConnection(
  bridge: SamlBridge | undefined,
  connectionId: string,
): Promise<boolean> {
  if (!bridge) return false;
  const res = await call(bridge, "DELETE", connectionId).catch(() => undefined);
  return res?.status === 204;
}
