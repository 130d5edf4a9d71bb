# tipbot in a container: Python on Debian slim, the pinned dependencies, compiled catalogs, a
# non-root user, the data (database, keys, backups) in a volume, and a health check.
#
#   docker build -t tipbot .
#   docker run -d --name tipbot --env-file .env -v tipbot-data:/data tipbot
#
# The base is pinned by tag; for byte-for-byte rebuilds pin its digest too
# (FROM python:3.13-slim-trixie@sha256:…, from `docker buildx imagetools inspect`).
FROM python:3.13-slim-trixie

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIPBOT_DATA_DIR=/data \
    MPLCONFIGDIR=/tmp/matplotlib

RUN groupadd --system --gid 10001 tipbot \
    && useradd --system --uid 10001 --gid tipbot --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin tipbot \
    && install -d -o tipbot -g tipbot -m 0700 /data

WORKDIR /app
# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir bot handlers storage sandbox \
    && pip install -c constraints.txt . \
    && pip uninstall -y tipbot
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY sandbox sandbox
COPY locales locales
COPY babel.cfg ./
# Editable: the code runs from /app, where the compiled catalogs are (locales/ beside bot/).
RUN pip install --no-deps -c constraints.txt -e . \
    && python -m bot.i18n_tools compile \
    && python -m compileall -q bot handlers storage

USER tipbot
VOLUME ["/data"]
# The webhook server, when run with --webhook-url … --listen 0.0.0.0 (polling needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["tipbot", "check", "--running"]
ENTRYPOINT ["tipbot"]
CMD ["run"]
