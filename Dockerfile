# The HTTP service (qa serve) on CPU: docker build -t zhnews-qa . && docker run -p 8000:8000 zhnews-qa
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# CPU-only torch from PyTorch's CPU wheel index, first: from PyPI pip would pull the CUDA
# build and several GB of CUDA libraries. The version constraints.txt pins.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md constraints.txt ./
COPY corpus ./corpus
COPY embeddings ./embeddings
COPY qa ./qa
COPY eval ./eval
COPY service ./service
# The versions the project is tested with (constraints.txt).
RUN pip install . -c constraints.txt && pip check && python -c "import qa, service, trafilatura"

# A user of its own; the index and the model cache live in /data (mount a volume there).
RUN useradd --create-home --uid 10001 qa && mkdir -p /data && chown qa:qa /data
USER qa
ENV QA_HOST=0.0.0.0 \
    QA_PORT=8000 \
    QA_INDEX_DIR=/data/index \
    HF_HOME=/data/huggingface
VOLUME ["/data"]
EXPOSE 8000

# Healthy once the index is loaded and questions can be answered (/readyz answers 200).
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('QA_PORT', '8000'), timeout=4)"]

CMD ["qa", "serve"]
