# The kb API image: the package only. The knowledge base's data is not baked in: the API replicas read the
# graph from a SPARQL store (kb serve --store sparql+http://...), the loader gets seeds/ and curation/ mounted.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# The locked versions, hashes checked (README: refreshing the locks), in a layer of their own: a change to kb
# reuses it. kb itself goes on top without resolving anything again.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY kb ./kb
COPY schema ./schema
RUN pip install --no-deps . && useradd --system --uid 10001 kb
USER kb
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]
CMD ["kb", "serve", "--host", "0.0.0.0", "--port", "8000"]
