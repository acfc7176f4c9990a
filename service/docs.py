"""``GET /docs``: Swagger UI served from the service itself, so it works offline.

The Swagger UI assets come from the ``fastapi-offline`` package (Swagger UI 5, which
reads the OpenAPI 3.1 schema FastAPI writes) and are mounted under ``/docs-assets``; the
page is FastAPI's own :func:`~fastapi.openapi.docs.get_swagger_ui_html` with those local
URLs. Its one inline script (the Swagger UI set-up) is allowed by its hash, so the page's
Content-Security-Policy lets no other script, style sheet or connection run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_URL", "DOCS_URL", "install_docs", "swagger_assets_dir"]

DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_assets_dir() -> Path:
    """The folder of Swagger UI's JavaScript, CSS and icon (from ``fastapi-offline``).

    Raises:
        RuntimeError: when the package is missing or ships no assets (reinstall the
            service's dependencies: ``pip install -e .``).
    """
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the Swagger UI assets of /docs come from the fastapi-offline package, which is "
            "not installed: pip install 'fastapi-offline>=1.7' (or pip install -e .)"
        ) from exc
    if not (folder / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(
            f"{folder} holds no swagger-ui-bundle.js: reinstall fastapi-offline "
            "(pip install --force-reinstall 'fastapi-offline>=1.7')"
        )
    return folder


def _csp(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def install_docs(app: FastAPI) -> None:
    """Add ``GET /docs`` and its assets to ``app`` (created with ``docs_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_assets_dir()), name="docs-assets")
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": False},
    )
    html = bytes(page.body).decode()
    headers = {
        "Content-Security-Policy": _csp(html),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
