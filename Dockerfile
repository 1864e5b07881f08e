# syntax=docker/dockerfile:1
# Multi-stage build: compile with the committed .sqlx/ query cache (no database needed), then
# ship the single binary on a slim Debian image as an unprivileged user.
#
# Dependencies are compiled in a layer of their own with cargo-chef: the layer depends only on
# Cargo.toml and Cargo.lock (through recipe.json), so a change to the source rebuilds the crate
# alone. Chosen over BuildKit cache mounts because layers travel with the image's build cache
# (`--cache-to`/`--cache-from`, a registry), so fresh CI runners reuse them too; cache mounts
# stay on the machine that built them, and the binary would have to be copied out of the
# mounted target folder by hand.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
ENV SQLX_OFFLINE=true
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY src src
COPY migrations migrations
COPY templates templates
COPY assets assets
RUN cargo build --release --locked --bin dateline

FROM debian:bookworm-slim
# ca-certificates: TLS to a managed PostgreSQL. Versions are not pinned (see .hadolint.yaml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dateline \
 && useradd --system --uid 10001 --gid 10001 --no-create-home dateline
COPY --from=build /src/target/release/dateline /usr/local/bin/dateline
USER 10001:10001
ENV DATELINE_BIND=0.0.0.0:3000
# 3000: the site, the admin and the API. 9100: /metrics, once DATELINE_METRICS_BIND=0.0.0.0:9100
# is set (unset: no metrics listener); keep it off the public network.
EXPOSE 3000 9100
# `dateline healthcheck` asks the server in this container for /readyz (PostgreSQL answers):
# no curl or wget in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/dateline", "healthcheck"]
# SIGTERM: stop accepting, drain for DATELINE_SHUTDOWN_GRACE_SECS, write page views, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dateline"]
CMD ["serve"]
