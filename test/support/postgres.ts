import pg from "pg";

/** The machine's real Postgres (trust auth), as CI has it. */
export const PG_HOST = process.env.NEXUS_TEST_PG_HOST ?? "127.0.0.1";
export const PG_PORT = Number(process.env.NEXUS_TEST_PG_PORT ?? 5432);
export const PG_SUPERUSER = process.env.NEXUS_TEST_PG_USER ?? "postgres";

export const upstreamUrl = () => `postgres://${PG_HOST}:${PG_PORT}`;
export const ownerUrl = (database: string) => `postgres://${PG_SUPERUSER}@${PG_HOST}:${PG_PORT}/${database}`;
export const appUrl = (database: string) =>
  `postgres://nexus_app:nexus_app@${PG_HOST}:${PG_PORT}/${database}`;

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_SUPERUSER, database: "postgres" });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test suite; a leftover from a crashed run is replaced. */
export async function recreateDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await admin(async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
}

export async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await admin((client) => client.query(`drop database if exists ${name} with (force)`));
}

/** Runs SQL as the superuser, outside the API: what a test uses to look behind the API's back. */
export async function queryAsOwner<T extends pg.QueryResultRow>(
  database: string,
  text: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_SUPERUSER, database });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
