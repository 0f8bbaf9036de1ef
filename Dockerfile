# syncer container image.
#
# Three stages, all on the same base so the virtualenv is portable between them:
#   build   - builds wheels of the project and of every dependency (pip wheel)
#   install - installs exactly those wheels into /opt/venv, offline (pip install --no-index --find-links)
#   runtime - the base image plus /opt/venv, running as uid/gid 10001
#
# Normal build (the build can reach PyPI):
#   docker build -t syncer .
#
# Offline build (no index reachable from inside the build): put every dependency wheel into a folder of
# the build context and name it with WHEELHOUSE. The project wheel itself is still built from the sources
# in the context; only dependencies and build requirements (setuptools, wheel) come from the folder.
#   pip wheel --wheel-dir build/wheels . 'setuptools>=69' wheel
#   docker build --network none --build-arg WHEELHOUSE=build/wheels -t syncer .
#
# The Python of BASE_IMAGE must be the one the wheelhouse was built for (CPython 3.11 by default).
# Both python:3.11-slim (python3 in /usr/local/bin) and a Debian bookworm base with the python3 and
# python3-venv packages (python3 in /usr/bin) work.

ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
# Empty: resolve dependencies from the package index. A folder of the build context: offline build.
ARG WHEELHOUSE=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY . /src
RUN set -eu; \
    python3 -m venv /opt/build; \
    if [ -n "${WHEELHOUSE}" ]; then \
        if ! ls "/src/${WHEELHOUSE}"/*.whl >/dev/null 2>&1; then \
            echo "WHEELHOUSE=${WHEELHOUSE}: no wheels in that folder of the build context" >&2; exit 1; \
        fi; \
        export PIP_NO_INDEX=1 PIP_FIND_LINKS="/src/${WHEELHOUSE}"; \
    fi; \
    /opt/build/bin/pip wheel --no-cache-dir --wheel-dir /wheels /src

FROM ${BASE_IMAGE} AS install
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
COPY --from=build /wheels /wheels
# Bytecode is compiled here, at install time, so nothing needs to be written at run time.
RUN set -eu; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels /wheels/syncer-*.whl; \
    /opt/venv/bin/pip uninstall --yes pip setuptools; \
    /opt/venv/bin/python -c "import syncer, github, jira, pagerduty, apscheduler, httpx, uvicorn"

FROM ${BASE_IMAGE} AS runtime
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="syncer" \
      org.opencontainers.image.description="Keeps Datadog IDP entity-integration lists (GitHub repos, Jira projects, PagerDuty accounts) in step with the source systems." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

RUN groupadd --gid 10001 syncer \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
               --shell /usr/sbin/nologin syncer

COPY --from=install /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    SYNCER_CONFIG=/etc/syncer/config.yaml \
    SYNCER_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz

# The only writable place; mount a tmpfs / emptyDir here when the root filesystem is read-only.
VOLUME ["/tmp"]
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080

# Meaningful for the daemon only; a one-shot `sync` exits long before the first check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['SYNCER_HEALTHCHECK_URL'], timeout=4)"]

ENTRYPOINT ["syncer"]
CMD ["daemon"]
