-- The hardened PostgreSQL setup for postgres-store: a schema owned by one role, and a
-- separate role for the daemon, which the store grants only what it needs when it starts
-- with schema_owner_uri (see README, "Tamper-evident audit"): no UPDATE of audit rows but
-- the `shipped` marker, no DELETE or TRUNCATE of them, no DDL; retention only through the
-- prune_shipped_audit function, which keeps rows younger than audit_min_retention_days.
--
-- Run once per database as a superuser (or a role with CREATEROLE that owns the database):
--   psql -X -v ON_ERROR_STOP=1 -d tradestore -v owner_password="$OWNER_PW" \
--        -v writer_password="$WRITER_PW" -f etc/examples/postgres-roles.sql
-- then in [plugin.postgres-store]:
--   uri              = postgresql://tradestore@db:5432/tradestore?sslmode=verify-full&...
--   schema_owner_uri = postgresql://tradestore_owner@db:5432/tradestore?sslmode=verify-full&...
-- The owner's password is needed only when the daemon starts (to migrate and grant); keep it
-- out of the daemon's environment between upgrades by running one start with it, then
-- removing schema_owner_uri: the writer alone opens an up-to-date schema.

CREATE ROLE tradestore_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE tradestore LOGIN PASSWORD :'writer_password';
CREATE SCHEMA tradestore AUTHORIZATION tradestore_owner;
-- Both roles find the store's tables without a search_path in their URIs.
ALTER ROLE tradestore_owner SET search_path = tradestore;
ALTER ROLE tradestore SET search_path = tradestore;
-- Nobody else creates objects that could shadow the store's.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
