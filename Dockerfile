# logto-connector serve: the endpoint Logto's HTTP SMS connector calls.
#   docker build -t logto-connector .
#   docker run -e LOGTO_CONNECTOR_TOKEN=… -v "$PWD/config.json:/config/config.json:ro" \
#       -p 8090:8090 logto-connector
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY schemas ./schemas
COPY metadata ./metadata
RUN pip install '.[serve,redis,postgresql]' && rm -rf /src

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin connector
USER connector
WORKDIR /home/connector

EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8090/healthz', timeout=2)"
# Exec form: logto-connector is PID 1 and gets `docker stop`'s SIGTERM itself.
CMD ["logto-connector", "serve", "--config", "/config/config.json", "--host", "0.0.0.0", "--port", "8090", "--workers", "2"]
