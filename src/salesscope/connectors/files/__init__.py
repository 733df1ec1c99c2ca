"""File import: deals and users from CSV or XLSX exports of any CRM, through a mapping TOML.

For users of CRMs we have no connector for, and for Kommo exports. The flow is one way:
``mapping`` (what the columns mean) → ``reading`` (bytes to numbered rows) → ``deal_rows`` /
``users`` (rows to typed values, every check) → ``deals`` (names to ids, history) → ``load``
(one transaction with the derived rebuild). A bad file or mapping raises ``ImportInputError``
before anything is written; the warehouse is then exactly as before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from salesscope.connectors.files.deals import plan_deals
from salesscope.connectors.files.errors import FileImportError, ImportInputError, MappingError
from salesscope.connectors.files.load import apply
from salesscope.connectors.files.mapping import load_deal_mapping, load_user_mapping
from salesscope.connectors.files.reading import read_table
from salesscope.connectors.files.summary import ImportSummary
from salesscope.connectors.files.users import plan_users
from salesscope.warehouse.store import Warehouse

__all__ = ["FileImportError", "ImportInputError", "ImportSummary", "MappingError", "import_deals",
           "import_users"]


def import_deals(wh: Warehouse, file: Path, mapping_file: Path, *, account_name: str | None = None,
                 dry_run: bool = False, now: dt.datetime | None = None) -> ImportSummary:
    """Import a deals file; with ``dry_run`` check it and count what would change, writing nothing.

    ``now`` (naive UTC) dates a stage move found between two imports of a deal that has no
    ``[stage_entered]`` history; it defaults to the current time.
    """
    mapping = load_deal_mapping(mapping_file)
    source = read_table(file, mapping.read)
    moment = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    plan, summary = plan_deals(wh, source, mapping, account_name, moment)
    summary.dry_run = dry_run
    if not dry_run:
        apply(wh, plan)
    return summary


def import_users(wh: Warehouse, file: Path, mapping_file: Path, *,
                 dry_run: bool = False) -> ImportSummary:
    """Import a users file (user, team, role, email); teams are created by name."""
    mapping = load_user_mapping(mapping_file)
    source = read_table(file, mapping.read)
    plan, summary = plan_users(wh, source, mapping)
    summary.dry_run = dry_run
    if not dry_run:
        apply(wh, plan)
    return summary
