/**
 * Which methods exist for a path, from the OpenAPI registry: lets an unknown method on a known
 * path answer 405 with `Allow`, instead of the router's 404.
 */
export class RouteTable {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];

  add(method: string, openApiPath: string): void {
    const source = `^${openApiPath.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}/?$`;
    const existing = this.routes.find((r) => r.pattern.source === source);
    if (existing) existing.methods.add(method.toUpperCase());
    else this.routes.push({ pattern: new RegExp(source), methods: new Set([method.toUpperCase()]) });
  }

  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  }
}
