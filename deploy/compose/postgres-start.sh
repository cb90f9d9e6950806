#!/bin/sh
# Entry point of postgres.Containerfile. On an empty data volume: initdb, then the roles and the
# database Vestibule expects (README, "Production layout"), with $POSTGRES_PASSWORD_FILE as the
# password of `vestibule`; then runs PostgreSQL in the foreground.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    test -s "$POSTGRES_PASSWORD_FILE" || { echo "no password in $POSTGRES_PASSWORD_FILE" >&2; exit 1; }
    initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256
    # Over the network: only the role vestibule, only to its database, only with its password.
    echo 'host vestibule vestibule all scram-sha-256' >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    # `vestibule` owns the schema and migrates it; the server's queries run as vestibule_app
    # (owns nothing, no BYPASSRLS) through SET ROLE, hence the membership. The first migration
    # creates vestibule_app if it is missing, which needs CREATEROLE.
    psql -v ON_ERROR_STOP=1 -v pwfile="$POSTGRES_PASSWORD_FILE" -d postgres <<'SQL'
\set pw `cat :'pwfile'`
CREATE ROLE vestibule_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE vestibule LOGIN CREATEROLE PASSWORD :'pw';
GRANT vestibule_app TO vestibule;
CREATE DATABASE vestibule OWNER vestibule;
SQL
    pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
