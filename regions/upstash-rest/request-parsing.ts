import { z } from "zod";
import { HttpError } from "./errors";

// Validates request bodies and path-form URLs into plain string argument lists.
// @upstash/redis serializes arguments as JSON strings, numbers or booleans (objects are already
// JSON-encoded strings), so those are the only argument types accepted; Redis sees them as text.

const argument = z.union([z.string(), z.number(), z.boolean()]);

/** One command: `["SET", "key", "value", "EX", 100]`. */
export const commandSchema = z
  .tuple([z.string().min(1, "command name is empty")], argument)
  .transform((args) => args.map(String));

/** A pipeline or transaction: a non-empty array of commands. */
export const commandBatchSchema = z.array(commandSchema).min(1, "no commands given");

export type Command = z.infer<typeof commandSchema>;

/** Parses a JSON body against a schema, answering 400 with an Upstash-style message otherwise. */
export function parseJsonBody<T>(schema: z.ZodType<T>, body: Buffer): T {
  if (body.length === 0) throw new HttpError(400, "ERR empty request body: expected a JSON array");
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "ERR request body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at [${issue.path.join("][")}]` : "";
  throw new HttpError(400, `ERR invalid command${where}: ${issue?.message ?? "malformed request"}`);
}

/**
 * The path form of Upstash's REST API: `/set/foo/bar?EX=100`. Segments are URL-decoded; a
 * non-empty POST/PUT body is appended as one more argument, then query parameters as `name value`
 * pairs (a parameter without a value adds only its name), `_token` excepted.
 */
export function parsePathCommand(rawPath: string, query: URLSearchParams, body: Buffer): Command {
  let segments: string[];
  try {
    segments = rawPath.slice(1).split("/").map(decodeURIComponent);
  } catch {
    throw new HttpError(400, "ERR malformed percent-encoding in the request path");
  }
  const [name, ...args] = segments;
  if (!name) throw new HttpError(400, "ERR command name is missing");
  if (body.length > 0) args.push(body.toString("utf8"));
  for (const [key, value] of query) {
    if (key === "_token") continue;
    args.push(key);
    if (value !== "") args.push(value);
  }
  return [name, ...args];
}
