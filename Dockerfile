# syntax=docker/dockerfile:1
# Build stage: install the locked, hash-checked dependencies into a virtual environment.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.txt ./
# torch is locked as the CPU build (torch==2.13.0+cpu); PyTorch's CPU index serves that file.
RUN /opt/venv/bin/pip install --require-hashes -r requirements.txt \
      --extra-index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY policies ./policies
COPY filters ./filters
COPY prompt_library ./prompt_library
COPY admin ./admin
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

# Runtime stage: the virtual environment only, run as an unprivileged user.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS= \
    GATEWAY_CONFIG=/app/config.yaml
RUN useradd --create-home --uid 10001 gateway
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Spill files of the ledger writers and, without GATEWAY_REVIEW_KEYS, a generated review key.
RUN mkdir -p /app/var && chown gateway /app/var
USER gateway
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4000/healthz')"
ENTRYPOINT ["gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4000", "--workers", "2"]
