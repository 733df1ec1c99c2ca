"""The ``salesscope sync`` path imports only what a sync needs.

Why: a sync's peak memory (goal < 300 MB, issue 3) starts from what the process imported. FastAPI,
plotly, uvicorn and pandas (through the reports' Ibis converters) took ``import salesscope.cli.app``
from ~170 MB to ~245 MB RSS, none of them used by a sync. Each check runs in a fresh interpreter,
since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "plotly", "pandas", "jinja2", "openpyxl")
"""Modules a sync never uses: the web app, charts, report dataframes, spreadsheets."""

PROBE = """
import json, sys
{body}
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
sys.stderr.write("\\nLOADED " + json.dumps(heavy) + "\\n")
"""


def loaded_after(body: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``body``."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    found: list[str] = json.loads(line.removeprefix("LOADED "))
    return found


def test_probe_sees_a_heavy_import() -> None:
    """The probe itself works: importing the web app is seen (else the checks below prove nothing)."""
    assert "fastapi" in loaded_after("import salesscope.web.app")


@pytest.mark.parametrize("module", [
    "salesscope.cli.app",
    "salesscope.cli.kommo_commands",
    "salesscope.connectors.kommo.sync",
    "salesscope.warehouse.derived",
])
def test_sync_modules_import_nothing_heavy(module: str) -> None:
    assert loaded_after(f"import {module}") == []


def test_building_the_derived_tables_imports_nothing_heavy(tmp_path: Path) -> None:
    """A new warehouse's first derived build (every ``salesscope sync`` into a new file does one) imports
    no pandas: the metrics rebuild imports report modules (``reports.metrics_queries``), and one of them
    imported Ibis's DuckDB converter, hence pandas (~30 MB RSS of a sync), at module level."""
    body = f"""
from salesscope.warehouse.store import Warehouse
Warehouse.open({str(tmp_path / "w.duckdb")!r}).close()
"""
    assert loaded_after(body) == []


def test_sync_help_imports_nothing_heavy() -> None:
    """``salesscope sync --help`` builds the whole command line: still no web, charts or pandas."""
    body = """
from salesscope.cli.app import main
sys.argv = ["salesscope", "sync", "--help"]
try:
    main()
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
"""
    assert loaded_after(body) == []


def test_help_lists_every_command_as_before() -> None:
    """Lazy imports moved no command: ``salesscope --help`` still lists them all."""
    done = subprocess.run([sys.executable, "-c", "from salesscope.cli.app import main; main()", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for command in ("demo", "reports", "report", "backup", "restore", "schema", "connect", "sync", "status",
                    "kommo", "serve", "users", "deals", "goals", "settings", "import", "rates"):
        assert f" {command} " in done.stdout, command
