# shellcheck shell=bash
# Shared by the benchmark scripts: a throwaway PostgreSQL (unless BENCH_DATABASE_URL is given)
# or a whole `posey up` (bench_posey_up), in a temp dir that is removed, with the servers, on
# exit. Source after scripts/lib.sh.

bench_tmp=$(mktemp -d -t posey-bench.XXXXXX)
chmod 755 "$bench_tmp" # the postgres user must reach its files inside
bench_pgdata=""
# Extra cleanup a script wants (e.g. stopping its server) goes in bench_cleanup_hook.
bench_cleanup_hook() { :; }
bench_cleanup() {
  set +e
  bench_cleanup_hook
  bench_posey_down
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

# bench_posey_up: runs `posey up` in the background on its own data dir under $bench_tmp: the
# embedded PostgreSQL, vectors and in-process parts (DATABASE_URL, REDIS_URL, QDRANT_URL, ... and
# the services' URLs are unset for it), free ports, sign-ups confirmed at once, the web app off.
# The model settings pass through (POSEY_MODEL, POSEY_LOCAL_MODEL, POSEY_MODEL_BASE_URL,
# POSEY_MODEL_API_KEY, the providers' keys, POSEY_EMBEDDING_*, AGENTS_MEMORY_MODEL); the default
# local chat and embedding models are installed into the cache when they are used and not given.
# The binary is ${PROFILE:-release}'s in CARGO_TARGET_DIR, built with cargo when missing (or
# always with BUILD=1). Sets AUTH_PORT, AGENTS_PORT, GATEWAY_PORT, CRON_PORT, bench_posey
# (the binary) and bench_posey_pid; its log is $bench_tmp/up.log; bench_cleanup stops it.
# Needs scripts/lib.sh sourced first.
bench_posey_pid=""
bench_posey_up() {
  local root profile target_dir models
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  profile=${PROFILE:-release}
  target_dir=${CARGO_TARGET_DIR:-$root/target}
  case $profile in
    dev) bench_posey=$target_dir/debug/posey ;;
    *) bench_posey=$target_dir/$profile/posey ;;
  esac
  if [[ ! -x $bench_posey || ${BUILD:-0} == 1 ]]; then
    log "building posey ($profile profile; long the first time on a small machine)"
    (cd "$root" && cargo build -q --profile "$profile" -p posey --bin posey) || die "cargo build of posey failed"
  else
    log "using $bench_posey (built $(date -r "$bench_posey" '+%F %T'); BUILD=1 rebuilds)"
  fi

  models=${XDG_CACHE_HOME:-$HOME/.cache}/posey/models
  if [[ ${POSEY_MODEL:-local} == local && -z ${POSEY_LOCAL_MODEL:-} ]]; then
    POSEY_LOCAL_MODEL=$(ensure_local_model "$models") && export POSEY_LOCAL_MODEL
  fi
  if [[ ${POSEY_EMBEDDING_MODEL:-local} == local && -z ${POSEY_LOCAL_EMBEDDING_MODEL:-} ]]; then
    POSEY_LOCAL_EMBEDDING_MODEL=$(ensure_embedding_model "$models") && export POSEY_LOCAL_EMBEDDING_MODEL
  fi

  export POSEY_DATA_DIR=$bench_tmp/data AUTH_MAILER_AUTOCONFIRM=true RUST_LOG=${RUST_LOG:-info}
  unset DATABASE_URL REDIS_URL QDRANT_URL SMTP_URL MQTT_URL POSEY_WEB_DIR \
    AUTH_URL AGENTS_URL CRON_URL AUTH_JWKS_URL AUTH_ISSUER CRON_SERVICE_CLIENT_ID CRON_SERVICE_CLIENT_SECRET
  AUTH_PORT=$(free_port) && export AUTH_PORT
  AGENTS_PORT=$(free_port "$AUTH_PORT") && export AGENTS_PORT
  GATEWAY_PORT=$(free_port "$AUTH_PORT" "$AGENTS_PORT") && export GATEWAY_PORT
  CRON_PORT=$(free_port "$AUTH_PORT" "$AGENTS_PORT" "$GATEWAY_PORT") && export CRON_PORT
  WEB_PORT=$(free_port "$AUTH_PORT" "$AGENTS_PORT" "$GATEWAY_PORT" "$CRON_PORT") && export WEB_PORT
  "$bench_posey" up >"$bench_tmp/up.log" 2>&1 &
  bench_posey_pid=$!
  local i port ready
  # A debug build loading the models on a busy machine may take minutes.
  for ((i = 0; i < ${BENCH_START_TIMEOUT:-300} * 10; i++)); do
    ready=1
    for port in "$AUTH_PORT" "$AGENTS_PORT" "$CRON_PORT"; do
      curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 || { ready=0; break; }
    done
    ((ready)) && return 0
    kill -0 "$bench_posey_pid" 2>/dev/null || { tail -n 30 "$bench_tmp/up.log" >&2; die "posey up exited"; }
    sleep 0.1
  done
  tail -n 30 "$bench_tmp/up.log" >&2
  die "posey up was not ready within ${BENCH_START_TIMEOUT:-300} s"
}

# bench_posey_down: asks `posey up` to stop (Ctrl-C) and waits for it; kills it after 60 s.
bench_posey_down() {
  [[ -n $bench_posey_pid ]] || return 0
  kill -INT "$bench_posey_pid" 2>/dev/null || { bench_posey_pid=""; return 0; }
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$bench_posey_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$bench_posey_pid" 2>/dev/null && kill -KILL "$bench_posey_pid" 2>/dev/null
  wait "$bench_posey_pid" 2>/dev/null
  bench_posey_pid=""
}
