// Turns Redis replies into the JSON values Upstash's REST API returns.
//
// With `Upstash-Encoding: base64` (what @upstash/redis sends by default) every string is sent as
// the base64 of its raw bytes, except a top-level "OK": the client's `decode()` keeps a top-level
// "OK" verbatim and base64-decodes every other string, including strings inside arrays. Encoding
// "OK" inside an array is therefore required (atob("OK") would yield "8"), and encoding everything
// else keeps binary values byte-exact. Integers, nulls and nested arrays keep their JSON types.
// Without the header strings go out as UTF-8 text, invalid bytes replaced by U+FFFD as Upstash does.

export type ResponseEncoding = "base64" | "utf8";

/** What the Redis client hands back: raw bytes, integers, nulls, nested arrays and nested errors. */
export type RedisReply = Buffer | string | number | bigint | null | undefined | Error | readonly RedisReply[];

export type JsonReply = string | number | null | JsonReply[];

/** Picks the encoding from the request's `Upstash-Encoding` header (case-insensitive). */
export function responseEncoding(header: string | string[] | undefined): ResponseEncoding {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim().toLowerCase() === "base64" ? "base64" : "utf8";
}

/** Encodes the `result` of one command (a top-level value, as in `{"result": …}`). */
export function encodeResult(reply: RedisReply, encoding: ResponseEncoding): JsonReply {
  if (encoding === "base64" && isOk(reply)) return "OK";
  return encodeValue(reply, encoding);
}

function isOk(reply: RedisReply): boolean {
  if (typeof reply === "string") return reply === "OK";
  return Buffer.isBuffer(reply) && reply.length === 2 && reply.toString("latin1") === "OK";
}

function encodeValue(reply: RedisReply, encoding: ResponseEncoding): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  // Past 2^53 precision is lost either way: the client parses the body with JSON.parse.
  if (typeof reply === "bigint") return Number(reply);
  if (Buffer.isBuffer(reply))
    return encoding === "base64" ? reply.toString("base64") : reply.toString("utf8");
  if (typeof reply === "string") return encoding === "base64" ? Buffer.from(reply).toString("base64") : reply;
  // An error nested in an array (e.g. a Lua table holding redis.error_reply) has no JSON form of
  // its own in Upstash's protocol; its message is sent as a string.
  if (reply instanceof Error) return encodeValue(reply.message, encoding);
  return reply.map((item) => encodeValue(item, encoding));
}
