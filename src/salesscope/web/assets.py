"""Static assets, served by us: the page's CSS/JS and plotly's own bundled ``plotly.min.js``.

Never a CDN: the dashboard works offline. plotly.min.js (~4.6 MB) is read from the installed
plotly package once, gzipped once in memory, and served with a versioned URL and a year-long
cache lifetime, so a browser downloads it once per plotly version.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import Response

from salesscope.web.errors import NotFound

router = APIRouter()
STATIC = Path(__file__).parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def plotly_path() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def _asset(name: str) -> tuple[bytes, bytes, str]:
    """(raw, gzipped, short hash) of an asset, read once per process."""
    path = plotly_path() if name == "plotly.min.js" else STATIC / name
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=6), hashlib.sha256(raw).hexdigest()[:10]


def asset_url(name: str) -> str:
    """A URL that changes with the asset's content, so it can be cached for a year."""
    return f"/static/{name}?v={_asset(name)[2]}"


@router.get("/static/{name}")
def static_asset(request: Request, name: str) -> Response:
    if name != "plotly.min.js" and (not (STATIC / name).is_file() or "/" in name or name.startswith(".")):
        raise NotFound(f"no static file {name!r}")
    raw, packed, _ = _asset(name)
    media = _TYPES.get(Path(name).suffix, "application/octet-stream")
    headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type=media, headers=headers)
