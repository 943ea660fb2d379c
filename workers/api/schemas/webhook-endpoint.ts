import { z } from "@hono/zod-openapi";
import { unknownEventFilter } from "../events/catalogue";
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS } from "../services/webhook-endpoints";
import { EVENT_TYPE_FILTER } from "../webhooks/event-types";

/** Form only here; the URL guard (webhooks/url-guard.ts) judges the target in the service. */
const url = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .openapi({
    format: "uri",
    example: "https://hooks.example.com/nexus",
    description:
      "https only. No credentials in the URL; no IP literal or name that is private, loopback, link-local, " +
      "CGNAT, unique-local, reserved, `localhost`/`*.localhost`, a special-use name (`.local`, `.internal`, " +
      "`.home.arpa`, …), a single label, or a cloud metadata address (169.254.169.254, fd00:ec2::254, " +
      "metadata.google.internal); IPv4 literals in dotted decimal only. Stored and shown in canonical form. " +
      "Deployments for local development may allow private targets and http (never production).",
  });

const description = z.string().trim().max(500).nullable().optional();

const eventTypes = z
  .array(
    z
      .string()
      .max(100)
      .regex(EVENT_TYPE_FILTER, "Each event type is `noun.verb` (contact.created) or `noun.*` (contact.*)")
      .check((ctx) => {
        const problem = EVENT_TYPE_FILTER.test(ctx.value) ? unknownEventFilter(ctx.value, ".*") : undefined;
        if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
      }),
  )
  .max(50)
  .transform((types) => [...new Set(types)])
  .optional()
  .openapi({
    description:
      "Which events this endpoint receives: exact types (`contact.created`) or a noun's every event " +
      "(`contact.*`). Empty or left out: every event. Each must name a type (or noun) of GET /api/v1/events/types.",
    example: ["contact.*"],
  });

const enabled = z
  .boolean()
  .optional()
  .openapi({ description: "Disabled endpoints receive nothing. Default true." });

/** Strict: `id`, `secret`, `tenant_id`, timestamps and anything unknown are rejected. */
export const WebhookEndpointInput = z
  .strictObject({ url, description, event_types: eventTypes, enabled })
  .openapi("WebhookEndpointInput");

export const WebhookEndpointPatch = z
  .strictObject({ url: url.optional(), description, event_types: eventTypes, enabled })
  .refine(
    (patch) => Object.keys(patch).length > 0,
    "Give at least one of url, description, event_types, enabled",
  )
  .openapi("WebhookEndpointPatch");

export const WebhookSecretRotation = z
  .strictObject({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .optional()
      .openapi({
        description:
          `How long the previous secret keeps signing beside the new one: 0–${MAX_OVERLAP_SECONDS} s (7 days), ` +
          `default ${DEFAULT_OVERLAP_SECONDS} (24 h). 0 ends it at once.`,
      }),
  })
  .openapi("WebhookSecretRotation");

const timestamp = z.string().openapi({ format: "date-time" });

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    secret_rotated_at: timestamp.nullable(),
    previous_secret_expires_at: timestamp.nullable().openapi({
      description:
        "While a rotation overlaps: until when deliveries are also signed with the previous secret.",
    }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({
    description:
      "The signing secret, `whsec_` + base64 of 32 random bytes (Standard Webhooks). Shown only in this " +
      "response; stored encrypted, never shown again.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=",
  }),
}).openapi("WebhookEndpointWithSecret");
