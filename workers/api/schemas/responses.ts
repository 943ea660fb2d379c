import type { z } from "@hono/zod-openapi";
import { ErrorSchema } from "./common";

/** Error responses of a route, all in the envelope. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
