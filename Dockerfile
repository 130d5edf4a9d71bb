# tipbot in a container: Python on Debian slim, the pinned dependencies, tipbot's wheel (code,
# compiled catalogs, bulletin library, migrations; no demo), a non-root user, the data (database,
# keys, backups) in a volume, and a health check.
#
#   docker build -t tipbot .
#   docker run -d --name tipbot --env-file .env -v tipbot-data:/data tipbot
#
# The base is pinned by tag; for byte-for-byte rebuilds pin its digest too
# (FROM python:3.13-slim-trixie@sha256:…, from `docker buildx imagetools inspect`) in both stages.
FROM python:3.13-slim-trixie AS wheel
# The wheel, built from the sources (setup.py compiles the catalogs into it) with the build's own
# tools (setuptools, Babel) pinned by constraints.txt like everything else. This stage is thrown
# away: only the wheel and the list of dependencies go on.
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY constraints.txt ./
RUN pip install -c constraints.txt setuptools babel
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY locales locales
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && python -c "import tomllib; project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
        print(*project['dependencies'], sep='\n')" > /wheels/requirements.txt

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

# Dependencies first (pinned), so that a change of code alone does not reinstall them.
COPY constraints.txt /tmp/constraints.txt
COPY --from=wheel /wheels/requirements.txt /tmp/requirements.txt
RUN pip install -c /tmp/constraints.txt -r /tmp/requirements.txt
# Then tipbot itself: the wheel, not the checkout.
COPY --from=wheel /wheels/*.whl /tmp/wheels/
RUN pip install --no-deps /tmp/wheels/*.whl && rm -r /tmp/wheels

USER tipbot
VOLUME ["/data"]
# The webhook server, when run with --webhook-url … --listen 0.0.0.0 (polling needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["tipbot", "check", "--running"]
ENTRYPOINT ["tipbot"]
CMD ["run"]
