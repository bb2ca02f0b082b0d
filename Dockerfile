# Quartier's two images, built from the repository's pinned dependencies (pyproject.toml and
# gateway/package-lock.json), as compose.yaml uses them:
#
#   docker build --target app .       the API (`quartier serve`) and the e-mail worker
#   docker build --target gateway .   Hive Gateway in front of the two subgraphs
#
# tests/test_compose.py checks every command, port and variable used here against the CLI
# and the settings (images cannot be built on the development machines).

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/quartier
# The packages, their data (SDLs, GraphiQL's pinned assets, e-mail templates, catalogues)
# and setup.py, which compiles the catalogues while pip builds the wheel.
COPY pyproject.toml setup.py README.md ./
COPY models ./models
COPY permissions ./permissions
COPY resolvers ./resolvers
COPY schema ./schema
COPY server ./server
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home quartier \
    && mkdir /srv/quartier/mail-outbox \
    && chown quartier /srv/quartier/mail-outbox
USER quartier
# The API, and the metrics listener (QUARTIER_METRICS_LISTEN) for Prometheus.
EXPOSE 8000 9100
CMD ["quartier", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]

FROM node:20-slim AS gateway
ENV NODE_ENV=production
WORKDIR /srv/gateway
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY gateway/serve.mjs gateway/supergraph.graphql ./
USER node
EXPOSE 4000
CMD ["node", "serve.mjs"]
