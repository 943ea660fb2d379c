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
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
}
