# shellcheck shell=bash
# Sourced by the postgres image's entrypoint on the first start only (empty data directory),
# against a server listening on its Unix socket alone.
#
# Creates the role the SQL gateway's GET /health logs in as (UPSTREAM_HEALTH_USER): login and
# nothing else, so the gateway pods never hold the superuser's or the app role's password. The
# password comes from the sql-gateway-health Secret, mounted as a file; psql reads it itself, so it
# appears in no command line. Later password changes: ALTER ROLE (README.md, "Rotating").
# CONNECTION LIMIT: gateway replicas (2, +1 during a rollout) x SQL_GATEWAY_POOL_SIZE (10).
docker_process_sql <<'EOSQL'
\set password `cat /run/secrets/sql-gateway-health/password`
CREATE ROLE sql_gateway_health LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  CONNECTION LIMIT 30 PASSWORD :'password';
EOSQL
