import { z } from "zod";
import type { RegionId } from "../../../../regions/registry";

/**
 * Where an embedding server processes text: a region's own cluster (`eu`, `lagos`), or `global`
 * (a provider that may process anywhere). The allowlist below says which a region may use.
 */
export const PROCESSING_PLACES = ["eu", "lagos", "global"] as const;
export type ProcessingPlace = (typeof PROCESSING_PLACES)[number];

/**
 * The residency allowlist, per region, fixed in code (not configuration, so a wrong var cannot
 * widen it): the EU embeds only with EU-processed providers; a Lagos tenant's text goes only to
 * the model server in the Lagos cluster. Nothing else, and no fallback: with no allowed provider
 * configured, semantic search is unavailable in that region and says so.
 */
export const EMBEDDING_ALLOWLIST: Readonly<Record<RegionId, readonly ProcessingPlace[]>> = {
  eu: ["eu"],
  lagos: ["lagos"],
};

/** One OpenAI-compatible embedding server (`POST {url}/embeddings`). */
export const embeddingProviderSchema = z.strictObject({
  /** Stored with every vector (`embedding_provider`): vectors of two ids are never compared. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lower-case letters, digits, . _ -"),
  /** The API base, e.g. https://eu.api.openai.com/v1 or http://embeddings.search.svc/v1. */
  url: z.url(),
  model: z.string().min(1),
  /** The vector size; sent as `dimensions` when `send_dimensions` (text-embedding-3-*). */
  dimensions: z.union([z.literal(100), z.literal(1536)]),
  send_dimensions: z.boolean().default(false),
  processing: z.enum(PROCESSING_PLACES),
  /**
   * Cosine distance beyond which a vector is no semantic match. Without a cut-off every document
   * is "a neighbour", and facets and `found` would count the whole tenant (Meilisearch's bug).
   * Model-specific: 0.6 suits the local averaged word vectors; ~0.7 text-embedding-3.
   */
  max_distance: z.number().gt(0).max(2).default(0.6),
});
export type EmbeddingProviderConfig = z.infer<typeof embeddingProviderSchema>;

export const embeddingProvidersSchema = z.array(embeddingProviderSchema).max(8);

/** Why a region has no embedding provider, or the one it uses (the first allowed in the list). */
export type EmbeddingChoice = { ok: true; provider: EmbeddingProviderConfig } | { ok: false; reason: string };

export function embeddingProviderFor(
  region: RegionId,
  providers: readonly EmbeddingProviderConfig[],
): EmbeddingChoice {
  const allowed = EMBEDDING_ALLOWLIST[region];
  const provider = providers.find((p) => allowed.includes(p.processing));
  if (provider) return { ok: true, provider };
  const refused = providers.map((p) => `${p.id} (processes in ${p.processing})`);
  return {
    ok: false,
    reason:
      `No embedding provider allowed in region ${region} is configured (allowed: processing in ` +
      `${allowed.join(", ")})${refused.length > 0 ? `; refused: ${refused.join(", ")}` : ""}`,
  };
}
