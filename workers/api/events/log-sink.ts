import { writeLog } from "../observability/log";
import type { PlatformEvent } from "../schemas/event";
import type { EventSink } from "./sink";

/**
 * One structured log line per event: ids and type only, never `data`, which holds personal data
 * that must stay in the tenant's home region (logs leave it).
 */
export class LogSink implements EventSink {
  readonly name = "log";

  async deliver(events: readonly PlatformEvent[]): Promise<void> {
    for (const e of events) {
      writeLog({
        level: "info",
        msg: "event published",
        event_id: e.event_id,
        event_type: e.event_type,
        tenant_id: e.tenant_id,
        correlation_id: e.metadata.correlation_id,
      });
    }
  }
}
