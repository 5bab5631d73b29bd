# seawall for CI systems without Python:
#   docker build --tag seawall .
#   docker run --rm --network none --volume "$PWD:/src:ro" seawall scan .
# The image runs as an unprivileged user and needs no network: seawall never makes a
# connection, and everything it needs is installed at build time, with the pinned versions
# of constraints.txt. (`--new-only` needs git, which the image does not carry.)

FROM python:3.12-slim-bookworm AS wheel
WORKDIR /build
COPY pyproject.toml README.md constraints.txt ./
COPY linter ./linter
COPY rules ./rules
COPY examples ./examples
# PIP_CONSTRAINT pins the build backend inside pip's isolated build environment too
RUN PIP_CONSTRAINT=/build/constraints.txt pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SEAWALL_CACHE_DIR=/tmp/seawall-cache
COPY --from=wheel /wheels /wheels
COPY constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir --disable-pip-version-check --constraint /tmp/constraints.txt /wheels/*.whl \
    && rm -rf /wheels /tmp/constraints.txt \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin seawall
USER 10001
WORKDIR /src
ENTRYPOINT ["seawall"]
CMD ["scan", "."]
