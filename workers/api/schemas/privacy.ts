import { z } from "@hono/zod-openapi";
import { REQUEST_KINDS, SUBJECT_TYPES } from "../services/privacy/types";
import { ListQuery } from "./common";

export const PrivacyRequestInput = z
  .strictObject({
    kind: z.enum(REQUEST_KINDS).openapi({ description: "`export` (Art. 15/20) or `erasure` (Art. 17)." }),
    subject: z.strictObject({
      type: z.enum(SUBJECT_TYPES),
      id: z.uuid().openapi({
        description: "The contact's, lead's or user's id; for `tenant`, the caller's tenant id.",
      }),
    }),
  })
  .openapi("PrivacyRequestInput", {
    example: { kind: "export", subject: { type: "contact", id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" } },
  });

const Step = z
  .object({
    store: z.string().openapi({ example: "crm.contacts" }),
    where: z.enum(["postgres", "durable_objects", "upstash", "jetstream"]),
    state: z.enum(["pending", "running", "done", "failed"]),
    attempts: z.number().int(),
    action: z
      .enum(["exported", "deleted", "anonymised", "held", "purged", "revoked", "handed_off", "none"])
      .nullable()
      .openapi({
        description:
          "What the step did: `exported` (export); `deleted`, `anonymised` (kept, identifiers replaced), `held` " +
          "(kept for a statutory period with identifying fields minimised, see `reason`), `purged`, `revoked`, " +
          "`handed_off` (an in-region service finishes it: see `handed_off`), `none` (the store held nothing).",
      }),
    rows: z.number().int().nullable(),
    reason: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("PrivacyRequestStep");

export const PrivacyRequest = z
  .object({
    id: z.uuid(),
    kind: z.enum(REQUEST_KINDS),
    subject: z.object({ type: z.enum(SUBJECT_TYPES), id: z.uuid() }),
    status: z.enum(["running", "completed", "failed"]),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    stores: z.array(Step),
    stream_purge: z
      .object({
        subject_filter: z.string(),
        purged_at: z.string().nullable(),
        purged_messages: z.number().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "An erasure's JetStream work, done by the region's outbox relay: a tenant's subjects purged, or a person's events " +
          "rewritten (their subjects re-published with those events redacted, the old copies purged); null while nothing is asked of it.",
      }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    requested_by: z.string(),
    download_url: z
      .string()
      .nullable()
      .openapi({ description: "The archive of a completed export, until it expires." }),
    archive_expires_at: z.string().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("PrivacyRequest");

/** The common list parameters without a total (requests are few; counting them is not offered). */
export const PrivacyRequestListQuery = ListQuery.omit({ include_total: true });
