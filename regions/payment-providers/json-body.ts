// Paystack and Flutterwave take JSON bodies; both answer a malformed one with their error shape.

export type JsonResult = { ok: true; value: unknown } | { ok: false };

export function parseJson(body: Buffer): JsonResult {
  if (body.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) as unknown };
  } catch {
    return { ok: false };
  }
}
