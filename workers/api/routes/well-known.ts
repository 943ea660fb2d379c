import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { withoutPrivateMembers } from "../auth/jwk";
import { JWKS_MAX_AGE_SECONDS } from "../auth/key-set";

const Jwk = z
  .looseObject({
    kty: z.string().openapi({ example: "RSA" }),
    kid: z
      .string()
      .optional()
      .openapi({ description: "Names the key; access tokens carry it in their header." }),
    alg: z.string().optional().openapi({ example: "RS256" }),
    use: z.string().optional().openapi({ example: "sig" }),
    n: z.string().optional().openapi({ description: "RSA modulus, base64url." }),
    e: z.string().optional().openapi({ description: "RSA public exponent, base64url.", example: "AQAB" }),
  })
  .openapi("Jwk", { description: "A public JSON Web Key (RFC 7517). Never carries private members." });

const JwkSet = z
  .object({ keys: z.array(Jwk) })
  .openapi("JwkSet", { description: "A JWK Set (RFC 7517 §5)." });

export function registerWellKnownRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags: ["platform"],
      summary: "This region's token signing keys",
      description:
        "No authentication. The public keys that verify this region's access tokens (RS256, matched by " +
        `\`kid\`). During a key rotation two keys are published. Cacheable for ${JWKS_MAX_AGE_SECONDS} s.`,
      responses: {
        200: { description: "The region's JWK Set", content: { "application/json": { schema: JwkSet } } },
      },
    }),
    (c) => {
      const config = c.get("config");
      // Verifiers cache this document for max-age; a rotation therefore publishes a new key at
      // least that long before signing with it (key-set.ts WAIT_BEFORE_SIGNING_SECONDS), so no
      // cached copy lacks the key of a token it is shown.
      c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      const keys = config.jwks[config.region].keys.map(withoutPrivateMembers);
      return c.json({ keys }, 200);
    },
  );
}
