import { safeLogLine } from "../../../regions/lib/telemetry/log-fields";
import { workerTracing } from "./tracing";

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * The Worker's one way to write a structured log line: the active span's trace and span ids
 * added, then only allow-listed fields, redacted (regions/lib/telemetry/log-fields.ts).
 */
export function writeLog(line: { level: LogLevel; msg: string } & Record<string, unknown>): void {
  const text = JSON.stringify(safeLogLine({ ...line, ...workerTracing.logIds() }));
  if (line.level === "error") console.error(text);
  else if (line.level === "warn") console.warn(text);
  else console.log(text);
}
