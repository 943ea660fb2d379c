import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { PRESETS } from "../../../db/presets";
import { rowsOf, tenantRows } from "../../../db/rows";
import { type RunRecord, startActivationRun } from "../../../durable-objects/activation-run-client";
import { hashPassword } from "../auth/credentials/password";
import type { Config } from "../env";
import { fromDatabaseError, violatedUniqueConstraint } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log-error";
import { type ActivationInput, slugOf } from "../schemas/activation";
import { formatActivationId } from "./activation-id";

export interface SubmitDeps {
  db: Database;
  config: Config;
  namespace: Env["ACTIVATION_RUN"];
  /** Test deployments only: handed to the run (see RunSpec.fault). */
  fault?: string | undefined;
}

export interface Accepted {
  id: string;
  tenantId: string;
  run: RunRecord;
}

const TAKEN = {
  business: {
    field: "options.slug",
    message: "A business with this name is already registered in the region; choose options.slug",
  },
  owner: {
    field: "owner.email",
    message: "An account with this email address already exists in the region; sign in to add a business",
  },
} as const;

const taken = (what: keyof typeof TAKEN) =>
  new ApiError("CONFLICT", TAKEN[what].message, { field: TAKEN[what].field });

/**
 * Accepts a sign-up in this region (its home: the route forwarded it otherwise): records it in
 * Postgres with the ids the run will create, the password already hashed, then starts its
 * ActivationRun. A business slug or owner email that is taken, or that another sign-up is using
 * right now, is a 409 (the unique indexes decide races). If the run cannot be started the row is
 * marked failed, so the same sign-up can be sent again.
 */
export async function submitActivation(deps: SubmitDeps, input: ActivationInput): Promise<Accepted> {
  const { config, db } = deps;
  const region = config.region;
  const preset = PRESETS.find((p) => p.id === input.preset);
  if (!preset) throw new ApiError("VALIDATION_ERROR", "Unknown preset", { field: "preset" });
  const slug = input.options.slug ?? slugOf(input.business_name);
  const currency = input.options.currency ?? preset.regions[region].defaultCurrency;
  const id = crypto.randomUUID();
  const tenantId = crypto.randomUUID();
  const ownerId = crypto.randomUUID();
  const passwordHash = await hashPassword(input.owner.password);
  const options = input.options.redirect_uris ? { redirect_uris: input.options.redirect_uris } : {};

  let rows: unknown[];
  try {
    [rows = []] = await tenantRows(db, tenantId, [
      sql`insert into activations (id, tenant_id, owner_id, business_name, slug, country, preset_id, currency,
                                   owner_email, owner_name, password_hash, options)
          select ${id}, ${tenantId}, ${ownerId}, ${input.business_name}, ${slug}, ${input.country}, ${preset.id},
                 ${currency}, ${input.owner.email}, ${input.owner.name}, ${passwordHash}, ${JSON.stringify(options)}::jsonb
          where not activation_slug_taken(${slug})
            and not exists (select 1 from users where lower(email) = lower(${input.owner.email}) and not is_deleted)
          returning id`,
    ]);
  } catch (error) {
    const constraint = violatedUniqueConstraint(error);
    if (constraint === "activations_slug_key") throw taken("business");
    if (constraint === "activations_owner_email_key") throw taken("owner");
    throw fromDatabaseError(error) ?? error;
  }
  if (rows.length === 0) throw await whichIsTaken(db, slug);

  const namespace = deps.namespace;
  try {
    if (!namespace) throw new Error("ACTIVATION_RUN binding is missing");
    const run = await startActivationRun(
      namespace,
      { region, localRuntime: config.localRuntime },
      { activationId: id, tenantId, region, fault: deps.fault },
    );
    return { id: formatActivationId(region, id), tenantId, run };
  } catch (cause) {
    await tenantRows(db, tenantId, [
      sql`update activations set state = 'failed', finished_at = now(), owner_email = null, owner_name = null,
                 password_hash = null
          where id = ${id} and state = 'running'`,
    ]).catch((error: unknown) =>
      logError("could not release an activation that did not start", undefined, error),
    );
    throw ApiError.unavailable("Activation could not be started; retry", 5, cause);
  }
}

/** The insert found the slug or the email taken: which one (the business is reported first). */
async function whichIsTaken(db: Database, slug: string): Promise<ApiError> {
  const [row] = await rowsOf<{ taken: boolean }>(db, sql`select activation_slug_taken(${slug}) as taken`);
  return taken(row?.taken ? "business" : "owner");
}
