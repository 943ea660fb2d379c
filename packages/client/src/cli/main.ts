/**
 * `nexus`: the command line of the Nexus Edge API, built on @nexus-edge/client.
 *
 *   nexus login                       browser sign-in (code + PKCE, loopback redirect)
 *   nexus contacts list --json        human tables by default, JSON for scripts
 *   nexus webhooks listen --forward-to http://127.0.0.1:3000/hook
 *   nexus <command> --help            every command documents itself
 */
import { Command, CommanderError } from "commander";
import { registerActivate } from "./commands/activate";
import { registerKeys } from "./commands/keys";
import { registerEvents, registerWebhooks } from "./commands/live";
import { registerLogin } from "./commands/login";
import { registerContacts, registerInvoices } from "./commands/records";
import type { GlobalOptions } from "./context";
import { describeError } from "./output";

export function buildProgram(): Command {
  const program = new Command("nexus")
    .description("The Nexus Edge API from the command line")
    .version("0.1.0")
    .option("--base-url <url>", "the region's base URL (default: the login's, or $NEXUS_BASE_URL)")
    .option("--region <region>", "eu or lagos (picks the deployed region's URL)")
    .option("--api-key <key>", "use this API key (or $NEXUS_API_KEY) instead of the stored login")
    .option("--profile <name>", "which stored login to use", "default")
    .option("--config-dir <dir>", "where logins are stored (default $NEXUS_CONFIG_DIR or ~/.config/nexus)")
    .option("--json", "machine-readable output (JSON; one object per line for streams)")
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError();
  const globals = () => program.opts<GlobalOptions>();
  registerLogin(program, globals);
  registerContacts(program, globals);
  registerInvoices(program, globals);
  registerKeys(program, globals);
  registerEvents(program, globals);
  registerWebhooks(program, globals);
  registerActivate(program, globals);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const { message, exitCode } = describeError(error);
    process.stderr.write(`${message}\n`);
    return exitCode;
  }
}
