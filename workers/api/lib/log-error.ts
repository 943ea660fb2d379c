/**
 * Logs leave the tenant's home region (Workers Logs), so an error's text loses what could be
 * personal data before it is written: e-mail addresses, and the query of any URL in it.
 */
export function redactForLog(text: string): string {
  return text
    .replace(/(\bhttps?:\/\/[^\s?#"']*)\?[^\s#"']*/gi, "$1?[query]")
    .replace(/[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi, "[email]");
}

/** One JSON line per failure, with the request id, so the log explains what a 500 hid. */
export function logError(
  msg: string,
  requestId: string | undefined,
  error: unknown,
  extra: Record<string, unknown> = {},
) {
  console.error(
    JSON.stringify({
      level: "error",
      msg,
      request_id: requestId,
      ...extra,
      error: redactForLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      stack: error instanceof Error && error.stack ? redactForLog(error.stack) : undefined,
    }),
  );
}
