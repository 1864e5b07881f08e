# Multi-stage build: compile with the committed .sqlx/ query cache (no database needed), then
# ship the single binary on a slim Debian image as an unprivileged user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY src src
COPY migrations migrations
COPY templates templates
COPY assets assets
RUN cargo build --release --locked --bin dateline

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home dateline
COPY --from=build /src/target/release/dateline /usr/local/bin/dateline
USER dateline
ENV DATELINE_BIND=0.0.0.0:3000
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/dateline"]
CMD ["serve"]
