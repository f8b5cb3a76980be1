# syntax=docker/dockerfile:1
# exprsn-pds: multi-stage build, non-root runtime, data volume, health check.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml setup.py README.md ./
COPY core ./core
COPY plugins ./plugins
COPY lexicons ./lexicons
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .

FROM python:3.11-slim AS runtime
RUN groupadd --system pds && useradd --system --gid pds --home-dir /data --shell /usr/sbin/nologin pds \
    && mkdir -p /data && chown pds:pds /data
COPY --from=build /opt/venv /opt/venv
COPY config/pds.example.toml /etc/exprsn-pds/pds.example.toml
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PDS_DATA_DIRECTORY=/data \
    PDS_BIND=0.0.0.0 \
    PDS_PORT=2583
USER pds
VOLUME ["/data"]
EXPOSE 2583
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/xrpc/_health' % os.environ.get('PDS_PORT', '2583'), timeout=4)" || exit 1
CMD ["pds", "serve"]
