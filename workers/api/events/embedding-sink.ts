import type { Database } from "../../../db/client";
import type { RegionId } from "../../../regions/registry";
import { logError } from "../lib/log-error";
import type { PlatformEvent } from "../schemas/event";
import { embedDueDocuments } from "../services/search/embedder";
import type { EmbeddingProviderConfig } from "../services/search/embedding-config";
import { type EventSink, groupByTenant } from "./sink";

/** Event nouns whose records are in the search index (their triggers mark them for embedding). */
const INDEXED = ["resource.", "contact.", "lead.", "opportunity.", "invoice."];

/**
 * Embeds, after commit, the records a batch of events changed: the outbox is what starts the
 * work, the documents' own state (`search_documents.embedding_status`) is what it works through,
 * so a run that fails or never happens is made good by the next one or by the scheduled sweep.
 * It never throws: embedding trouble must not hold back the tenant's webhooks and realtime.
 */
export class EmbeddingSink implements EventSink {
  readonly name = "embeddings";

  constructor(
    private readonly deps: {
      db: Database;
      region: RegionId;
      providers: readonly EmbeddingProviderConfig[];
      apiKey: string | undefined;
    },
  ) {}

  async deliver(events: readonly PlatformEvent[]): Promise<void> {
    for (const [tenantId, ofTenant] of groupByTenant(events)) {
      if (!ofTenant.some((e) => INDEXED.some((prefix) => e.event_type.startsWith(prefix)))) continue;
      await embedDueDocuments(this.deps, tenantId).catch((error: unknown) =>
        logError("embedding after commit failed", ofTenant[0]?.metadata.correlation_id, error),
      );
    }
  }
}
