# Sourced by scripts/test.sh and Benchmarks/scripts/postgres-bench.sh: a throwaway
# PostgreSQL 15 cluster on 127.0.0.1 (SCRAM password over TCP, a self-signed certificate
# for the TLS tests), removed by stop_postgres, which callers put on their EXIT trap.
#   start_postgres [extra server options]   sets PG_TMP, PG_PORT, PG_PASSWORD
#   stop_postgres
PG_BIN=/usr/lib/postgresql/15/bin
PG_TMP=""
as_postgres() {
  # initdb and the server refuse to run as root: as root run them as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_postgres() {
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_TMP"
  fi
}
start_postgres() {
  PG_TMP=$(mktemp -d /tmp/fleet-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP"; fi
  PG_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  printf '%s\n' "$PG_PASSWORD" > "$PG_TMP/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP/pwfile"; fi
  chmod 600 "$PG_TMP/pwfile"
  # Password (SCRAM) for TCP, so a wrong password is really refused; no network beyond loopback.
  as_postgres "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --pwfile="$PG_TMP/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  # A self-signed certificate, so the sslmode tests see TLS used (require), an untrusted
  # certificate refused (verify-full) and accepted with sslrootcert.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$PG_TMP/server.key" -out "$PG_TMP/server.crt" >/dev/null 2>&1
  chmod 600 "$PG_TMP/server.key"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP/server.key" "$PG_TMP/server.crt"; fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_TMP -c max_connections=200 -c ssl=on -c ssl_cert_file=$PG_TMP/server.crt -c ssl_key_file=$PG_TMP/server.key $*" start >/dev/null \
    || { cat "$PG_TMP/server.log" >&2; return 1; }
}
