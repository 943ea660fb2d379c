import { z } from "@hono/zod-openapi";
import { derivedField, ListQuery, listFilter, UpdatedSince } from "./common";

const MAX_CONTENT = 200_000;

/** A JSON object of metadata: at most 64 keys, each a short name (filters address them as `metadata.<key>`). */
const Metadata = z
  .record(
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "metadata keys are 1–64 letters, digits, _ or -"),
    z.unknown(),
  )
  .refine((m) => Object.keys(m).length <= 64, "at most 64 metadata keys")
  .openapi({
    description:
      "Free-form JSON object. Its keys are searchable as `metadata.<key>` in search `filter` and `facets` " +
      "(strings, numbers, booleans, and arrays of strings such as tags).",
    example: { type: "policy", tags: ["travel", "expenses"], version: 3 },
  });

const RelatedEntity = z
  .object({ type: z.string().min(1).max(64), id: z.string().min(1).max(128) })
  .catchall(z.unknown())
  .openapi({ example: { type: "contact", id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" } });

const writable = {
  name: z.string().trim().min(1).max(500).openapi({ example: "Travel expense policy" }),
  content: z
    .string()
    .min(1)
    .max(MAX_CONTENT)
    .openapi({
      description: `The text that is searched (up to ${MAX_CONTENT.toLocaleString("en")} characters).`,
      example: "Employees may claim rail travel in second class and a car hire up to 60 EUR a day.",
    }),
  summary: z.string().max(5_000).nullable().optional(),
  uri: z
    .url()
    .max(2_048)
    .nullable()
    .optional()
    .openapi({ example: "https://intranet.example/policies/travel" }),
  resource_timestamp: z.iso
    .datetime({ offset: true })
    .nullable()
    .optional()
    .openapi({ description: "When the resource itself is from (RFC 3339), e.g. a document's date." }),
  metadata: Metadata.optional(),
  related_entities: z.array(RelatedEntity).max(100).optional(),
};

const readOnly = {
  id: derivedField("id is assigned by the server"),
  tenant_id: derivedField("tenant_id is the caller's tenant"),
  created_at: derivedField("created_at is set by the server"),
  updated_at: derivedField("updated_at is set by the server"),
  embedding: derivedField("embedding is computed by the server after the write"),
};

export const ResourceInput = z.strictObject({ ...writable, ...readOnly }).openapi("ResourceInput");

export const ResourcePatch = z
  .strictObject({
    ...writable,
    name: writable.name.optional(),
    content: writable.content.optional(),
    ...readOnly,
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), "Give at least one field to change")
  .openapi("ResourcePatch");

export const ResourceEmbedding = z
  .object({
    status: z.enum(["pending", "embedded", "failed", "unavailable"]).openapi({
      description:
        "pending: keyword-searchable now, semantically once embedded (after commit, from the outbox); " +
        "embedded: in the semantic arm too; failed: the provider failed, retried with backoff; " +
        "unavailable: this region has no pgvector or no embedding provider its residency allows (error says which).",
    }),
    provider: z.string().nullable(),
    embedded_at: z.string().nullable(),
    attempts: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi("ResourceEmbedding");

export const Resource = z
  .object({
    id: z.uuid(),
    name: z.string(),
    content: z.string(),
    summary: z.string().nullable(),
    uri: z.string().nullable(),
    resource_timestamp: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    related_entities: z.array(z.record(z.string(), z.unknown())),
    created_at: z.string(),
    updated_at: z.string(),
    embedding: ResourceEmbedding.optional(),
  })
  .openapi("Resource");

export const ResourceListQuery = ListQuery.extend({
  "metadata.type": listFilter(
    z.string().min(1).max(200),
    "metadata.type",
    "Resources whose metadata.type is this.",
  ),
  uri: listFilter(z.string().min(1).max(2_048), "uri", "Resources with exactly this uri."),
  updated_since: UpdatedSince,
});
