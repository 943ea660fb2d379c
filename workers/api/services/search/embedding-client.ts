import { z } from "zod";
import { tracedFetch } from "../../observability/traced-fetch";
import type { EmbeddingProviderConfig } from "./embedding-config";

/** OpenAI's `POST /embeddings` answer, the parts we read. */
const embeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

export class EmbeddingProviderError extends Error {
  constructor(
    message: string,
    /** Worth trying again later (network, 429, 5xx); a 4xx other than 429 is not. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "EmbeddingProviderError";
  }
}

/**
 * Embeds texts with an OpenAI-wire server (OpenAI, Azure OpenAI, text-embeddings-inference, the
 * local stand-in): one request for the batch, vectors back in input order, each checked to have
 * the configured dimension so a misconfigured model can never write vectors of another space.
 */
export async function embedTexts(
  provider: EmbeddingProviderConfig,
  apiKey: string | undefined,
  texts: readonly string[],
  timeoutMs = 15_000,
): Promise<number[][]> {
  const body: Record<string, unknown> = { model: provider.model, input: texts, encoding_format: "float" };
  if (provider.send_dimensions) body.dimensions = provider.dimensions;
  let response: Response;
  try {
    response = await tracedFetch(
      { name: "embeddings", attributes: { "nexus.provider": "embeddings" }, propagate: false },
      `${provider.url.replace(/\/+$/, "")}/embeddings`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      },
    );
  } catch (error) {
    throw new EmbeddingProviderError(`embedding server ${provider.id} unreachable: ${String(error)}`, true);
  }
  if (!response.ok) {
    const detail = (await response.text().catch(() => "")).slice(0, 300);
    throw new EmbeddingProviderError(
      `embedding server ${provider.id} answered ${response.status}: ${detail}`,
      response.status === 429 || response.status >= 500,
    );
  }
  const parsed = embeddingsResponse.safeParse(await response.json().catch(() => null));
  if (!parsed.success) {
    throw new EmbeddingProviderError(`embedding server ${provider.id} sent an unexpected answer`, true);
  }
  const vectors: number[][] = new Array(texts.length);
  for (const item of parsed.data.data) vectors[item.index] = item.embedding;
  for (let i = 0; i < texts.length; i++) {
    const v = vectors[i];
    if (!v || v.length !== provider.dimensions) {
      throw new EmbeddingProviderError(
        `embedding server ${provider.id} sent ${v ? `${v.length} dimensions` : "no vector"} for input ${i}, not ${provider.dimensions}`,
        false,
      );
    }
  }
  return vectors;
}

/** A vector as pgvector's text input. */
export const vectorLiteral = (v: readonly number[]) =>
  `[${v.map((x) => (Number.isFinite(x) ? x : 0)).join(",")}]`;
