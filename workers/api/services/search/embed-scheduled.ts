import { regionDatabase } from "../../../../db/client";
import { loadConfig } from "../../env";
import { type EmbedResult, embedLeftBehind } from "./embedder";

/** The cron's embedding sweep: documents left pending or failed past their backoff, every tenant. */
export function embedScheduled(env: Env): Promise<EmbedResult> {
  const config = loadConfig(env);
  return embedLeftBehind({
    db: regionDatabase(config),
    region: config.region,
    providers: config.embeddingProviders,
    apiKey: config.embeddingApiKey,
  });
}
