import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";
import type { RequestShapes } from "../lib/request-shapes";

/**
 * Query strings under /api are as strict as bodies (API.md "Lists"): a parameter the matched
 * route does not declare is a 400 naming it (a misspelt filter must not silently return
 * everything), and so is one given twice (`?limit=1&limit=2`; `limit[]` is simply unknown).
 */
export const strictQuery = (shapes: RequestShapes) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const shape = shapes.of(c);
    if (!shape) return next();
    const problems: { field: string; message: string }[] = [];
    for (const [name, values] of Object.entries(c.req.queries())) {
      if (!shape.query.has(name)) problems.push({ field: name, message: `Unknown query parameter: ${name}` });
      else if (values.length > 1)
        problems.push({ field: name, message: `Query parameter ${name} is repeated` });
    }
    if (problems.length > 0) throw ApiError.validation(problems);
    await next();
  });
