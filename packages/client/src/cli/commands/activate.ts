import type { Command } from "commander";
import { createNexusClient } from "../../client";
import { commandContext, type GlobalOptions } from "../context";
import { CliError, fields } from "../output";

type Preset = "retail" | "restaurant" | "professional-services" | "clinic" | "logistics" | "education";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerActivate(program: Command, globals: () => GlobalOptions): void {
  program
    .command("activate")
    .description("Sign up a business: a tenant in its country's home region, set up from an industry preset")
    .requiredOption("--business-name <name>")
    .requiredOption("--country <code>", "ISO 3166-1 alpha-2 (NG, GH, DE, …): decides the home region")
    .requiredOption(
      "--preset <id>",
      "retail, restaurant, professional-services, clinic, logistics, education",
    )
    .requiredOption("--owner-name <name>")
    .requiredOption("--owner-email <email>")
    .option("--slug <slug>", "the tenant's URL name (default: from the business name)")
    .option("--no-wait", "return once accepted, without following the steps")
    .addHelpText(
      "after",
      "\nThe owner's password is read from $NEXUS_OWNER_PASSWORD (never a flag: it would stay in your shell history).\n" +
        "Example:\n  NEXUS_OWNER_PASSWORD='a long passphrase' nexus activate --business-name 'Ade Pharmacy Ltd' \\\n" +
        "    --country NG --preset retail --owner-name 'Ade Bello' --owner-email ade@pharmacy.example",
    )
    .action(
      async (options: {
        businessName: string;
        country: string;
        preset: string;
        ownerName: string;
        ownerEmail: string;
        slug?: string;
        wait: boolean;
      }) => {
        const ctx = commandContext(globals());
        const password = process.env.NEXUS_OWNER_PASSWORD;
        if (!password)
          throw new CliError("set NEXUS_OWNER_PASSWORD to the owner's password (at least 12 characters)", 2);
        const nexus = ctx.anonymousClient();
        const accepted = await nexus.data(
          nexus.api.POST("/api/v1/activate", {
            body: {
              business_name: options.businessName,
              country: options.country,
              preset: options.preset as Preset,
              owner: { name: options.ownerName, email: options.ownerEmail, password },
              ...(options.slug ? { options: { slug: options.slug } } : {}),
            },
          }),
        );
        if (!options.wait) {
          ctx.output.out(ctx.output.json ? JSON.stringify(accepted) : fields({ ...accepted }));
          return;
        }
        // The status lives in the home region, which may not be the one that accepted.
        const home = createNexusClient({ baseUrl: new URL(accepted.status_url).origin });
        ctx.output.err(`Accepted ${accepted.id}: setting up in ${accepted.region}…`);
        const deadline = Date.now() + 120_000;
        let last = "";
        for (;;) {
          const status = await home.data(
            home.api.GET("/api/v1/activation/{id}/status", { params: { path: { id: accepted.id } } }),
          );
          const running = status.steps.find((s) => s.state === "running" || s.state === "pending");
          const line = `  ${String(status.percent).padStart(3)}%  ${status.state}${running ? `  (${running.name})` : ""}`;
          if (line !== last && !ctx.output.json) ctx.output.err(line);
          last = line;
          if (status.state === "completed") {
            if (ctx.output.json) return ctx.output.out(JSON.stringify(status));
            ctx.output.out(
              `Activated.\n${fields({ tenant: status.tenant_id, region: status.region, sign_in: status.sign_in?.issuer })}\n` +
                `Sign in as the owner with: nexus login --base-url ${status.sign_in?.issuer ?? new URL(accepted.status_url).origin}`,
            );
            return;
          }
          if (status.state === "failed") {
            const problems = status.errors.map((e) => `  ${e.code}: ${e.message}`).join("\n");
            throw new CliError(`activation failed\n${problems}`);
          }
          if (Date.now() > deadline)
            throw new CliError(`still ${status.state} after 2 minutes; check: ${accepted.status_url}`);
          await sleep(500);
        }
      },
    );
}
