# syntax=docker/dockerfile:1

# Dependencies: the SQLite driver compiles a native addon, so the build tools live in this stage only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The postinstall applies patches/ (fixes to dependencies not yet released upstream).
COPY patches ./patches
RUN npm ci --omit=dev && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json servers_config.json ./
COPY scripts ./scripts
COPY src ./src
# Compiled once here, so every start of the container runs JavaScript without compiling anything.
RUN node scripts/build.mjs && mkdir -p data && chown node:node data
USER node
# The SQLite store, the memory server's file and the filesystem server's root live here.
VOLUME ["/app/data"]
EXPOSE 3000
# The slim image has no curl; Node's own fetch asks /healthz (served while Discord or Slack runs).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 directly (no npm in between), so SIGTERM reaches the bot and it shuts down cleanly.
CMD ["node", "--max-semi-space-size=2", "scripts/start.mjs"]
