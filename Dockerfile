# syntax=docker/dockerfile:1.7
# Switchyard container image: one image for every role; the command picks it
# (`start` | `api` | `worker` | `scheduler` | `migrate` | `admin …`, see deploy/docker-entrypoint.sh).
#
#   docker build -t switchyard .
#   docker run --rm -p 3000:3000 --read-only --tmpfs /tmp -v switchyard-data:/data switchyard          # all-in-one, embedded DB
#   docker run --rm -e DATABASE_URL=… -e SWITCHYARD_SECRET_KEY=… switchyard api                       # one role
#
# Stages: `deps` installs every dependency (the build needs esbuild and Vite), `build` makes dist/
# and web/dist/, `prod-deps` installs runtime dependencies only, `runtime` copies what runs.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/postinstall.mjs scripts/
COPY src/ src/
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN node scripts/build.mjs \
 && node scripts/build-web.mjs \
 && test -f dist/switchyard.mjs \
 && test -f web/dist/index.html

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/postinstall.mjs scripts/
COPY src/ src/
# Runtime dependencies only (tsx is one: the sandbox worker thread and the source fallback use it).
# The postinstall script builds the pre-initialised PGlite template into node_modules/.cache, so a
# container's first start on an empty /data loads it instead of running initdb.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && ls node_modules/.cache/switchyard/pglite-template-*.tar.gz

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps the children it spawns (the first-start
# `migrate` child, sandbox workers are threads). No shell tools beyond the base image's.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid switchyard --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin switchyard \
 && mkdir -p /data \
 && chown switchyard:switchyard /data
WORKDIR /app
ENV NODE_ENV=production \
    SWITCHYARD_FROM_BUILD=true \
    SWITCHYARD_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
# Everything under /app is owned by root and read-only to the process: with a read-only root file
# system the only writable paths are /data (a volume) and /tmp (a tmpfs).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json LICENSE ./
COPY bin/ bin/
COPY migrations/ migrations/
# src/ is needed at run time: the sandbox boots its worker thread from src/platform/sandbox/.
COPY src/ src/
COPY deploy/docker-entrypoint.sh deploy/healthcheck.mjs deploy/
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
STOPSIGNAL SIGTERM
# Only roles that serve HTTP (start, api) answer it; compose and Kubernetes set their own checks
# per role (deploy/compose.yaml disables it for worker and scheduler).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/deploy/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/docker-entrypoint.sh"]
CMD ["start"]
