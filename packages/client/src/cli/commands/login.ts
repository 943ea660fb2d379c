import { spawn } from "node:child_process";
import type { Command } from "commander";
import { signInWithBrowser } from "../../sign-in";
import { CLI_CLIENT_ID, commandContext, type GlobalOptions } from "../context";
import { credentialsPath, saveLogin } from "../credentials";
import { CliError, fields } from "../output";

/** Opens a URL in the desktop's browser; false when there is none to open. */
function openInBrowser(url: string): boolean {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function registerLogin(program: Command, globals: () => GlobalOptions): void {
  program
    .command("login")
    .description(
      "Sign in through the region's authorization server (browser, code + PKCE) and keep the tokens",
    )
    .option("--no-browser", "print the sign-in URL instead of opening a browser")
    .option("--scope <scopes>", "space-separated scopes to ask for (default: all the CLI may have)")
    .option("--with-api-key <key>", "store an API key instead of signing in (for CI and servers)")
    .addHelpText(
      "after",
      "\nTokens are written to $NEXUS_CONFIG_DIR/credentials.json (default ~/.config/nexus), readable by you only (0600).\n" +
        "Examples:\n  nexus login --region lagos\n  nexus login --base-url http://127.0.0.1:8787\n  nexus login --with-api-key nxk_eu_…",
    )
    .action(async (options: { browser: boolean; scope?: string; withApiKey?: string }) => {
      const ctx = commandContext(globals());
      const { baseUrl, region } = ctx.target();
      if (options.withApiKey) {
        if (!/^nxk_[a-z]{2}_/.test(options.withApiKey))
          throw new CliError("--with-api-key: an API key starts with nxk_{region}_", 2);
        saveLogin(ctx.dir, ctx.profile, {
          base_url: baseUrl,
          region,
          api_key: options.withApiKey,
          saved_at: new Date().toISOString(),
        });
        ctx.output.err(`Stored the API key for ${baseUrl} in ${credentialsPath(ctx.dir)}`);
        return;
      }
      const tokens = await signInWithBrowser({
        issuer: baseUrl,
        clientId: CLI_CLIENT_ID,
        scope: options.scope,
        openBrowser: (url) => {
          ctx.output.err(`Sign in at ${baseUrl}:\n\n  ${url}\n`);
          if (options.browser) openInBrowser(url);
          ctx.output.err("Waiting for the browser to finish signing in…");
        },
      });
      saveLogin(ctx.dir, ctx.profile, {
        base_url: baseUrl,
        region,
        client_id: CLI_CLIENT_ID,
        tokens,
        saved_at: new Date().toISOString(),
      });
      const claims = JSON.parse(
        Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString(),
      ) as Record<string, string>;
      if (ctx.output.json) {
        ctx.output.out(
          JSON.stringify({
            base_url: baseUrl,
            region: claims.region,
            tenant_id: claims.tenant_id,
            role: claims.role,
            scope: tokens.scope,
          }),
        );
      } else {
        ctx.output.out(
          `Signed in.\n${fields({ region: claims.region, tenant: claims.tenant_id, role: claims.role, scope: tokens.scope, saved: credentialsPath(ctx.dir) })}`,
        );
      }
    });

  program
    .command("logout")
    .description("Revoke the stored refresh token and forget the login")
    .action(async () => {
      const ctx = commandContext(globals());
      const stored = ctx.login();
      if (!stored) throw new CliError("not signed in");
      if (stored.tokens?.refresh_token) {
        const { AuthorizationServer } = await import("../../auth");
        const server = await AuthorizationServer.discover({
          issuer: stored.base_url,
          clientId: stored.client_id ?? CLI_CLIENT_ID,
        });
        await server.revoke(stored.tokens.refresh_token).catch(() => {});
      }
      saveLogin(ctx.dir, ctx.profile, undefined);
      ctx.output.err("Signed out.");
    });

  program
    .command("whoami")
    .description("Who the stored credential is: user, tenant, role, region")
    .action(async () => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const stored = ctx.login();
      const tenant = await nexus.data(nexus.api.GET("/api/v1/nexus/tenant", {}));
      let user: Record<string, string | undefined> = {};
      if (!stored?.api_key && !process.env.NEXUS_API_KEY && !globals().apiKey) {
        const { data } = await nexus.api.GET("/oauth/userinfo", {});
        user = { email: data?.email, name: data?.name, user_id: data?.sub, role: data?.role };
      } else {
        user = { credential: "API key" };
      }
      const record = {
        ...user,
        tenant: tenant.name,
        tenant_id: tenant.id,
        region: tenant.region,
        base_url: nexus.baseUrl,
      };
      ctx.output.out(ctx.output.json ? JSON.stringify(record) : fields(record));
    });
}
