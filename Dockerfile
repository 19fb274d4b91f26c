# chat-server image: compiled in a build stage with the dev dependencies, run with the
# production dependencies only, as the unprivileged user `node`, data under /data.
# Build: docker build -t socket-messenger . (podman: add --format docker to keep HEALTHCHECK)

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Dependencies first, so editing a source file does not reinstall them. --ignore-scripts: no
# install script is needed (Prisma's would try to download native engines that nothing uses;
# generation and migrations run in WebAssembly) and `prepare` needs the sources, copied next.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY prisma ./prisma
COPY client ./client
COPY gateway ./gateway
COPY scripts ./scripts
COPY server ./server
COPY tui ./tui
COPY web ./web
COPY test ./test
# prisma generate (offline, see scripts/generate.mjs) and tsc; unit tests are not shipped.
RUN npm run build && find dist/client dist/gateway dist/server dist/tui -name '*.test.js*' -delete

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHAT_DATA_DIR=/data/pgdata \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Production dependencies only. --legacy-peer-deps leaves out the Prisma CLI and TypeScript,
# which npm would otherwise install as peer dependencies of @prisma/client (about 250 MB the
# server never loads: the generated client is compiled into dist/).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --legacy-peer-deps && npm cache clean --force
COPY prisma ./prisma
COPY --from=build /app/dist/client ./dist/client
COPY --from=build /app/dist/gateway ./dist/gateway
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/dist/tui ./dist/tui
COPY --from=build /app/dist/web ./dist/web
# The embedded database (used when DATABASE_URL is not set) lives in the volume.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# SIGTERM drains: clients are told, requests in flight finish, then the process exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# chat-sshd runs from the same image: --entrypoint node, command dist/gateway/cli.js (compose.yaml).
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["serve"]
