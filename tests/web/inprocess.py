"""Starlette's TestClient, imported without its notice that it will move to httpx2 (the project
pins httpx)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]
