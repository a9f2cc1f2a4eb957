# shellcheck shell=bash
# Helpers shared by scripts/test and scripts/up. Source it; it defines functions and sets nothing
# else. Only Debian packages are installed here (through apt-get); the one other download is
# scripts/test's SMTP server for tests (aiosmtpd, with pip from PyPI into a venv in the cache).

# The system user that runs initdb/pg_ctl when the scripts run as root (created by Debian's
# postgresql package).
POSEY_UNPRIVILEGED_USER=${POSEY_UNPRIVILEGED_USER:-postgres}

# log MESSAGE...: one line on stderr, prefixed so it stands out among cargo's output.
log() {
  printf '==> %s\n' "$*" >&2
}

# die MESSAGE...: log and exit 1.
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

is_root() {
  [[ $(id -u) -eq 0 ]]
}

# pg_bin_dir: the directory holding initdb and pg_ctl: $POSTGRES_BIN_DIR, else PATH, else the
# newest /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH). Fails when none has them.
pg_bin_dir() {
  if [[ -n ${POSTGRES_BIN_DIR:-} ]]; then
    [[ -x $POSTGRES_BIN_DIR/initdb ]] || { echo "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR has no initdb" >&2; return 1; }
    echo "$POSTGRES_BIN_DIR"
    return 0
  fi
  local initdb
  # Resolve symlinks (say /usr/local/bin/initdb -> .../15/bin/initdb): the real directory has
  # the other client tools (pg_isready, psql) too.
  if initdb=$(command -v initdb) && initdb=$(readlink -f "$initdb") && [[ -x $(dirname "$initdb")/pg_ctl ]]; then
    dirname "$initdb"
    return 0
  fi
  local dir newest=""
  # sort -V so that 9.6 < 10 < 15.
  while IFS= read -r dir; do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] && newest=$dir
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
  [[ -n $newest ]] || return 1
  echo "$newest"
}

# ensure_packages [NEED...]: installs the Debian packages behind whatever is missing. NEEDs are
# postgres, redis, mosquitto, curl, build (cc + pkg-config), python (python3 that can make a
# venv) and node (Node.js with npm); none given means all of them.
# apt-get update runs once, and only when something has to be installed.
ensure_packages() {
  local needs=("$@")
  ((${#needs[@]})) || needs=(postgres redis mosquitto curl build python node)

  # Pairs of "package|why", in order.
  local missing=() need
  for need in "${needs[@]}"; do
    case $need in
      postgres) pg_bin_dir >/dev/null 2>&1 || missing+=("postgresql|initdb/pg_ctl") ;;
      redis) command -v redis-server >/dev/null || missing+=("redis-server|redis-server") ;;
      mosquitto) command -v mosquitto >/dev/null || missing+=("mosquitto|mosquitto") ;;
      curl) command -v curl >/dev/null || missing+=("curl|curl") ;;
      build)
        command -v pkg-config >/dev/null || missing+=("pkg-config|pkg-config")
        command -v cc >/dev/null || missing+=("build-essential|cc")
        ;;
      python)
        command -v python3 >/dev/null || missing+=("python3|python3")
        # Debian splits venv's pip bootstrap (ensurepip) into python3-venv.
        python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=("python3-venv|python3 -m venv")
        ;;
      node)
        command -v node >/dev/null || missing+=("nodejs|node")
        command -v npm >/dev/null || missing+=("npm|npm")
        ;;
      *) die "ensure_packages: unknown need '$need'" ;;
    esac
  done
  ((${#missing[@]})) || return 0

  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null || die "need to install packages but not root and no sudo: ${missing[*]%%|*}"
    sudo=(sudo)
  fi
  # The postgresql package's scripts may try to start its own cluster; DEBIAN_FRONTEND keeps
  # apt from asking questions, which would hang CI (no stdin).
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  local out
  out=$(mktemp)
  log "apt-get update"
  "${apt[@]}" update -q >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; die "apt-get update failed"; }
  local entry
  for entry in "${missing[@]}"; do
    log "installing ${entry%%|*} (for ${entry#*|})"
    "${apt[@]}" install -y -q --no-install-recommends "${entry%%|*}" >"$out" 2>&1 \
      || { cat "$out" >&2; rm -f "$out"; die "apt-get install ${entry%%|*} failed"; }
  done
  rm -f "$out"
}

# port_open HOST PORT: true when something accepts TCP connections there (bash's /dev/tcp, so
# no netcat or python needed).
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# free_port [EXCLUDE...]: a TCP port in 10000 up to the ephemeral range that nothing on 127.0.0.1 listens on. Ports
# handed out earlier but not yet bound can be passed as EXCLUDE so two servers don't collide.
free_port() {
  local port tries excluded low=32768
  # Stay below the kernel's ephemeral range: a port there may be the local end of some outgoing
  # connection, which nothing "listens" on yet still makes bind() fail.
  if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  ((low > 11000)) || low=32768
  for ((tries = 0; tries < 200; tries++)); do
    port=$(((RANDOM * 32768 + RANDOM) % (low - 10000) + 10000))
    for excluded in "$@"; do
      [[ $port == "$excluded" ]] && continue 2
    done
    port_open 127.0.0.1 "$port" || { echo "$port"; return 0; }
  done
  echo "free_port: no free port found" >&2
  return 1
}

# as_unprivileged CMD...: runs CMD as $POSEY_UNPRIVILEGED_USER when root (initdb and pg_ctl
# refuse to run as root), else as is. As root it runs from /, which that user can enter, so pass
# absolute paths; files it writes must be chowned to it first (chown_unprivileged).
as_unprivileged() {
  if ! is_root; then
    "$@"
    return
  fi
  id -u "$POSEY_UNPRIVILEGED_USER" >/dev/null 2>&1 \
    || die "running as root but there is no '$POSEY_UNPRIVILEGED_USER' user to run PostgreSQL as"
  if command -v runuser >/dev/null; then
    (cd / && runuser -u "$POSEY_UNPRIVILEGED_USER" -- "$@")
  else
    (cd / && setpriv --reuid="$POSEY_UNPRIVILEGED_USER" --regid="$POSEY_UNPRIVILEGED_USER" --init-groups -- "$@")
  fi
}

# chown_unprivileged PATH...: hands PATHs to the user as_unprivileged runs as (no-op unless root).
chown_unprivileged() {
  if is_root; then
    chown "$POSEY_UNPRIVILEGED_USER:" "$@"
  fi
}
