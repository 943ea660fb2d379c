import { regionDatabase } from "../../../db/client";
import type { Config } from "../env";
import { EmbeddingSink } from "./embedding-sink";
import { LogSink } from "./log-sink";
import { RealtimeSink } from "./realtime-sink";
import type { EventSink } from "./sink";
import { WebhookSink } from "./webhook-sink";

/** The sinks every publisher delivers to: the log, the tenant's realtime hub, its webhook endpoints. */
export const defaultSinks = (env: Env, config: Config): EventSink[] => {
  const placement = { region: config.region, localRuntime: config.localRuntime };
  const db = regionDatabase(config);
  return [
    new LogSink(),
    new RealtimeSink(env.TENANT_HUB, placement, { db, rootKey: config.dataEncryptionKey }),
    new WebhookSink(db, env.WEBHOOK_DISPATCHER, placement),
    new EmbeddingSink({
      db,
      region: config.region,
      providers: config.embeddingProviders,
      apiKey: config.embeddingApiKey,
    }),
  ];
};
