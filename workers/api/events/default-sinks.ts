import type { Config } from "../env";
import { LogSink } from "./log-sink";
import { RealtimeSink } from "./realtime-sink";
import type { EventSink } from "./sink";

/** The sinks every publisher delivers to: the log, and the tenant's realtime hub. */
export const defaultSinks = (env: Env, config: Config): EventSink[] => [
  new LogSink(),
  new RealtimeSink(env.TENANT_HUB, { region: config.region, localRuntime: config.localRuntime }),
];
