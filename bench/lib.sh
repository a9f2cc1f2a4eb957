# shellcheck shell=bash
# Shared by the benchmark scripts: a throwaway PostgreSQL (unless BENCH_DATABASE_URL is given)
# in a temp dir that is removed, with the server, on exit. Source after scripts/lib.sh.

bench_tmp=$(mktemp -d -t posey-bench.XXXXXX)
chmod 755 "$bench_tmp" # the postgres user must reach its files inside
bench_pgdata=""
# Extra cleanup a script wants (e.g. stopping its server) goes in bench_cleanup_hook.
bench_cleanup_hook() { :; }
bench_cleanup() {
  set +e
  bench_cleanup_hook
  [[ -n $bench_pgdata ]] && as_unprivileged "$(pg_bin_dir)/pg_ctl" -D "$bench_pgdata" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$bench_tmp"
}
trap bench_cleanup EXIT

# bench_postgres: sets BENCH_DATABASE_URL to a fresh cluster's maintenance database.
bench_postgres() {
  [[ -z ${BENCH_DATABASE_URL:-} ]] || return 0
  local bin port
  bin=$(pg_bin_dir)
  port=$(free_port)
  bench_pgdata=$bench_tmp/pgdata
  mkdir -m 700 "$bench_pgdata" "$bench_tmp/pgsock"
  chown_unprivileged "$bench_pgdata" "$bench_tmp/pgsock"
  as_unprivileged "$bin/initdb" -D "$bench_pgdata" --auth=trust -U posey --encoding=UTF8 --locale=C --no-sync >/dev/null
  # Settings as a deployment would have them, except fsync (a VM disk's fsync latency would
  # measure the disk, not Posey).
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nmax_connections = 200\nfsync = off\n" \
    "$port" "$bench_tmp/pgsock" >>"$bench_pgdata/postgresql.conf"
  touch "$bench_tmp/pg.log" && chown_unprivileged "$bench_tmp/pg.log"
  as_unprivileged "$bin/pg_ctl" -D "$bench_pgdata" -l "$bench_tmp/pg.log" -w start >/dev/null
  BENCH_DATABASE_URL=postgres://posey@127.0.0.1:$port/postgres
}
