import { createHash, X509Certificate } from "node:crypto";
import { z } from "zod";
import { MAX_METADATA_BYTES, readIdpMetadata } from "./idp-metadata";

/**
 * A tenant's SAML connection as the bridge keeps it: the IdP it trusts (entity id, single sign-on
 * URL, pinned signing certificates) and the one OIDC client (the region's Worker) allowed to use
 * it. The Worker registers it through the admin API; nothing here comes from an assertion.
 */
export interface BridgeConnection {
  id: string;
  tenantId: string;
  idpEntityId: string;
  idpSsoUrl: string;
  /** PEM certificates; more than one during an IdP's certificate rollover. */
  idpCertificates: string[];
  clientId: string;
  /** SHA-256 of the client secret, hex. */
  clientSecretHash: string;
  redirectUris: string[];
}

const PEM = /^-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;

/** Accepts a PEM or the bare base64 an IdP's metadata shows; answers the PEM, or why not. */
export function certificatePem(value: string): { pem: string } | { problem: string } {
  const trimmed = value.trim();
  const pem = trimmed.startsWith("-----BEGIN")
    ? trimmed
    : `-----BEGIN CERTIFICATE-----\n${(trimmed.replace(/\s+/g, "").match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----`;
  if (!PEM.test(pem)) return { problem: "Not a PEM or base64 X.509 certificate" };
  try {
    const certificate = new X509Certificate(pem);
    if (certificate.publicKey.asymmetricKeyType !== "rsa" && certificate.publicKey.asymmetricKeyType !== "ec")
      return { problem: "The certificate's key must be RSA or EC" };
    if (new Date(certificate.validTo).getTime() < Date.now())
      return { problem: "The certificate has expired" };
    return { pem: `${pem}\n` };
  } catch {
    return { problem: "Not a readable X.509 certificate" };
  }
}

const httpsOrLoopback = (allowLoopbackHttp: boolean) =>
  z
    .string()
    .url()
    .max(2000)
    .refine((value) => {
      const url = new URL(value);
      if (url.protocol === "https:") return true;
      return (
        allowLoopbackHttp && url.protocol === "http:" && ["127.0.0.1", "localhost"].includes(url.hostname)
      );
    }, "Must be an https URL");

const MAX_CERTIFICATES = 3;

/**
 * The IdP comes either as its three settings or as its metadata document (`idp_metadata`), which
 * the bridge reads itself (idp-metadata.ts): never both.
 */
export const connectionInput = (allowLoopbackHttp: boolean) =>
  z
    .strictObject({
      tenant_id: z.uuid(),
      idp_entity_id: z.string().trim().min(1).max(1024).optional(),
      idp_sso_url: httpsOrLoopback(allowLoopbackHttp).optional(),
      idp_certificates: z.array(z.string().min(100).max(16_384)).min(1).max(MAX_CERTIFICATES).optional(),
      idp_metadata: z.string().min(1).max(MAX_METADATA_BYTES).optional(),
      redirect_uris: z.array(httpsOrLoopback(allowLoopbackHttp)).min(1).max(5),
    })
    .superRefine((input, ctx) => {
      const fields = (["idp_entity_id", "idp_sso_url", "idp_certificates"] as const).filter(
        (f) => input[f] !== undefined,
      );
      if (input.idp_metadata !== undefined) {
        if (fields.length > 0)
          ctx.addIssue({
            code: "custom",
            path: ["idp_metadata"],
            message: `Give idp_metadata or the IdP's settings, not both (also given: ${fields.join(", ")})`,
          });
        return;
      }
      if (fields.length === 0)
        ctx.addIssue({
          code: "custom",
          path: ["idp_metadata"],
          message: "Required: the IdP's metadata, or idp_entity_id, idp_sso_url and idp_certificates",
        });
      else
        for (const f of ["idp_entity_id", "idp_sso_url", "idp_certificates"] as const)
          if (input[f] === undefined)
            ctx.addIssue({ code: "custom", path: [f], message: "Required with the IdP's other settings" });
    });
export type ConnectionInput = z.infer<ReturnType<typeof connectionInput>>;

export const sha256Hex = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");

/** The connection's OIDC face: the issuer is per connection, so the Worker's one-issuer rule holds. */
export const issuerOf = (publicUrl: string, connectionId: string) =>
  `${publicUrl.replace(/\/+$/, "")}/c/${connectionId}`;

/** The SP side the IdP's administrator registers (and fetches as metadata). */
export function serviceProviderOf(publicUrl: string, connectionId: string) {
  const issuer = issuerOf(publicUrl, connectionId);
  return {
    entity_id: `${issuer}/saml`,
    acs_url: `${issuer}/saml/acs`,
    metadata_url: `${issuer}/saml/metadata`,
  };
}

export interface ResolvedIdp {
  entityId: string;
  ssoUrl: string;
  /** PEM, each checked by certificatePem. */
  certificates: string[];
}

type Issue = { field: string; message: string };

/** Control characters and lone surrogates: xmldom lets them through, the Worker's jsonb would not. */
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The IdP a registration names, from its fields or read from its metadata; or the issues, by field. */
export function resolveIdp(
  input: ConnectionInput,
  allowLoopbackHttp: boolean,
): ResolvedIdp | { issues: Issue[] } {
  let entityId: string;
  let ssoUrl: string;
  let raw: string[];
  // Where a certificate's problem is reported: its index in idp_certificates, or the metadata's n-th.
  let fieldOf: (index: number) => string;
  let label: (index: number) => string = () => "";
  if (input.idp_metadata !== undefined) {
    const read = readIdpMetadata(input.idp_metadata);
    if ("problem" in read) return { issues: [{ field: "idp_metadata", message: read.problem }] };
    const problems: Issue[] = [];
    if (read.entityId.length > 1024 || UNPRINTABLE.test(read.entityId))
      problems.push({
        field: "idp_metadata",
        message: "The entityID must be at most 1024 printable characters",
      });
    const url = httpsOrLoopback(allowLoopbackHttp).safeParse(read.ssoUrl);
    if (!url.success)
      problems.push({
        field: "idp_metadata",
        message: `The HTTP-Redirect SingleSignOnService Location: ${url.error.issues[0]?.message ?? "not a URL"}`,
      });
    if (read.certificates.length > MAX_CERTIFICATES)
      problems.push({
        field: "idp_metadata",
        message: `The identity provider lists ${read.certificates.length} signing certificates; at most ${MAX_CERTIFICATES}`,
      });
    if (problems.length > 0) return { issues: problems };
    ({ entityId, ssoUrl } = read);
    raw = read.certificates;
    fieldOf = () => "idp_metadata";
    label = (index) => `Signing certificate ${index + 1} of the metadata: `;
  } else {
    entityId = input.idp_entity_id ?? "";
    ssoUrl = input.idp_sso_url ?? "";
    raw = input.idp_certificates ?? [];
    fieldOf = (index) => `idp_certificates.${index}`;
  }
  const certificates: string[] = [];
  for (const [index, value] of raw.entries()) {
    const checked = certificatePem(value);
    if ("problem" in checked)
      return { issues: [{ field: fieldOf(index), message: `${label(index)}${checked.problem}` }] };
    certificates.push(checked.pem);
  }
  return { entityId, ssoUrl, certificates };
}
