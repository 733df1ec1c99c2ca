"""The canonical warehouse: the only contract between connectors and reports.

Every table is declared here once, with its primary key, typed columns and a one-line description
per column. Connectors write these tables; reports read them. The declarations are the *current*
shape; the migrations in ``migrations/`` build it step by step, and a test checks that applying
every migration to an empty database yields exactly these declarations.

Conventions:
- ``id`` columns hold the CRM's own integer id where the CRM has one (Kommo does), otherwise an id
  assigned at import. Stages are the exception: Kommo repeats status ids 142/143 in every
  pipeline, so ``stages.id`` is a warehouse-unique key and ``stages.crm_id`` the CRM's status id.
- Every timestamp is UTC (``TIMESTAMP`` without zone); day/week/month buckets are computed in the
  account's timezone (``account.timezone``).
- Money is ``DECIMAL(18,2)`` in the currency named next to it (normally the account currency).
- The types are spelled so that the same DDL runs on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One typed column of a canonical table."""

    name: str
    type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, primary key and what a row means."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name: str, type_: str, description: str, nullable: bool = True) -> Column:
    return Column(name, type_, description, nullable)


MONEY = "DECIMAL(18,2)"

ACCOUNT = Table(
    "account",
    "The CRM account this warehouse mirrors; exactly one row.",
    (
        _c("id", "BIGINT", "CRM account id (1 for an imported or demo account).", False),
        _c("name", "VARCHAR", "Account name as the CRM shows it.", False),
        _c("currency", "VARCHAR", "ISO 4217 code of the account's currency, e.g. UAH.", False),
        _c("timezone", "VARCHAR", "IANA timezone in which days, weeks and months are bucketed.", False),
        _c("crm", "VARCHAR", "Where the data comes from: kommo, import or demo.", False),
        _c("subdomain", "VARCHAR", "CRM subdomain, used to build links to CRM cards."),
        _c("base_url", "VARCHAR", "Web root of the CRM account, e.g. https://acme.kommo.com."),
    ),
    ("id",),
)

TEAMS = Table(
    "teams",
    "Sales teams (Kommo user groups).",
    (
        _c("id", "BIGINT", "Team id (Kommo group id).", False),
        _c("name", "VARCHAR", "Team name.", False),
    ),
    ("id",),
)

USERS = Table(
    "users",
    "CRM users: the managers who own deals and do the work.",
    (
        _c("id", "BIGINT", "CRM user id.", False),
        _c("name", "VARCHAR", "Full name as the CRM shows it.", False),
        _c("email", "VARCHAR", "Login e-mail, when the CRM gives it."),
        _c("team_id", "BIGINT", "The user's team (teams.id); NULL when in no team."),
        _c("role", "VARCHAR", "CRM role name, e.g. manager or head."),
        _c("active", "BOOLEAN", "False once the user is deactivated in the CRM.", False),
    ),
    ("id",),
)

PIPELINES = Table(
    "pipelines",
    "Sales pipelines (funnels).",
    (
        _c("id", "BIGINT", "CRM pipeline id.", False),
        _c("name", "VARCHAR", "Pipeline name.", False),
        _c("sort", "INTEGER", "Display order in the CRM.", False),
        _c("is_main", "BOOLEAN", "True for the account's main pipeline.", False),
        _c("archived", "BOOLEAN", "True when the pipeline is archived.", False),
    ),
    ("id",),
)

STAGES = Table(
    "stages",
    "Pipeline stages in order; kind tells open stages from the won and lost ends.",
    (
        _c("id", "BIGINT", "Warehouse-unique stage key (CRM status ids repeat across pipelines).", False),
        _c("pipeline_id", "BIGINT", "The pipeline the stage belongs to (pipelines.id).", False),
        _c("crm_id", "BIGINT", "The CRM's status id (142 won and 143 lost in every Kommo pipeline).", False),
        _c("name", "VARCHAR", "Stage name.", False),
        _c("sort", "INTEGER", "Position in the pipeline; open stages come before won and lost.", False),
        _c("kind", "VARCHAR", "open, won or lost.", False),
    ),
    ("id",),
)

CONTACTS = Table(
    "contacts",
    "People and companies the deals are made with.",
    (
        _c("id", "BIGINT", "CRM contact id.", False),
        _c("name", "VARCHAR", "Contact or company name."),
        _c("is_company", "BOOLEAN", "True for a company card.", False),
        _c("phone", "VARCHAR", "Main phone number."),
        _c("email", "VARCHAR", "Main e-mail."),
        _c("owner_id", "BIGINT", "Responsible user (users.id)."),
        _c("created_at", "TIMESTAMP", "When the contact was created (UTC).", False),
        _c("updated_at", "TIMESTAMP", "When the contact was last changed (UTC)."),
        _c("deleted", "BOOLEAN", "True once deleted in the CRM.", False),
    ),
    ("id",),
)

DEALS = Table(
    "deals",
    "Deals (Kommo leads) with their current state.",
    (
        _c("id", "BIGINT", "CRM deal id.", False),
        _c("name", "VARCHAR", "Deal name."),
        _c("amount", MONEY, "Deal budget in `currency`; 0 when not set.", False),
        _c("currency", "VARCHAR", "ISO 4217 code of `amount`.", False),
        _c("pipeline_id", "BIGINT", "Current pipeline (pipelines.id).", False),
        _c("stage_id", "BIGINT", "Current stage (stages.id).", False),
        _c("owner_id", "BIGINT", "Current responsible user (users.id); reports credit this user."),
        _c("contact_id", "BIGINT", "Main contact (contacts.id)."),
        _c("created_at", "TIMESTAMP", "When the deal was created (UTC).", False),
        _c("updated_at", "TIMESTAMP", "When the deal was last changed (UTC)."),
        _c("closed_at", "TIMESTAMP", "When the deal was won or lost (UTC); NULL while open."),
        _c("loss_reason", "VARCHAR", "Why the deal was lost, when it was."),
        _c("source", "VARCHAR", "The CRM's lead source (form, chat, import, ...)."),
        _c("utm_source", "VARCHAR", "utm_source of the lead."),
        _c("utm_medium", "VARCHAR", "utm_medium of the lead."),
        _c("utm_campaign", "VARCHAR", "utm_campaign of the lead."),
        _c("utm_content", "VARCHAR", "utm_content of the lead."),
        _c("tags", "VARCHAR[]", "Tags on the deal.", False),
        _c("deleted", "BOOLEAN", "True once deleted in the CRM; reports leave such deals out.", False),
    ),
    ("id",),
)

DEAL_STAGE_CHANGES = Table(
    "deal_stage_changes",
    "Every move of a deal from one stage to another, append-only.",
    (
        _c("id", "BIGINT", "Change id (CRM event id).", False),
        _c("deal_id", "BIGINT", "The deal that moved (deals.id).", False),
        _c("from_stage_id", "BIGINT", "Stage before the move (stages.id); NULL when unknown.", True),
        _c("to_stage_id", "BIGINT", "Stage after the move (stages.id).", False),
        _c("at", "TIMESTAMP", "When the move happened (UTC).", False),
        _c("by_user_id", "BIGINT", "Who moved it (users.id); NULL for robots and integrations."),
    ),
    ("id",),
)

ACTIVITIES = Table(
    "activities",
    "One row per action a person took: notes, messages, stage moves, calls, tasks, ...",
    (
        _c("id", "BIGINT", "Action id (CRM event id).", False),
        _c("kind", "VARCHAR", "What was done, e.g. note, message_in, message_out, call_out, "
           "stage_change, deal_created, task_created, task_completed.", False),
        _c("at", "TIMESTAMP", "When it was done (UTC).", False),
        _c("author_id", "BIGINT", "Who did it (users.id); NULL for clients and robots."),
        _c("deal_id", "BIGINT", "The deal it concerns (deals.id), if any."),
        _c("contact_id", "BIGINT", "The contact it concerns (contacts.id), if any."),
        _c("details", "VARCHAR", "Free text or JSON with what changed (value before/after, text)."),
    ),
    ("id",),
)

CALLS = Table(
    "calls",
    "Phone calls logged in the CRM.",
    (
        _c("id", "BIGINT", "Call id (CRM note id).", False),
        _c("direction", "VARCHAR", "in or out.", False),
        _c("duration_s", "INTEGER", "Talk time in seconds; 0 when not answered.", False),
        _c("status", "VARCHAR", "Call outcome: answered, missed, busy, voicemail, ...", False),
        _c("recording_url", "VARCHAR", "Link to the recording, when there is one."),
        _c("at", "TIMESTAMP", "When the call started (UTC).", False),
        _c("author_id", "BIGINT", "The manager on the call (users.id)."),
        _c("deal_id", "BIGINT", "The deal it concerns (deals.id), if any."),
        _c("contact_id", "BIGINT", "The contact it concerns (contacts.id), if any."),
        _c("phone", "VARCHAR", "The other party's number."),
    ),
    ("id",),
)

TASKS = Table(
    "tasks",
    "Tasks set in the CRM (call back, meeting, follow-up, ...).",
    (
        _c("id", "BIGINT", "CRM task id.", False),
        _c("kind", "VARCHAR", "Task type: call, meeting, follow_up, ...", False),
        _c("text", "VARCHAR", "What is to be done."),
        _c("created_at", "TIMESTAMP", "When the task was set (UTC).", False),
        _c("due_at", "TIMESTAMP", "When it is due (UTC)."),
        _c("completed_at", "TIMESTAMP", "When it was completed (UTC); NULL while open."),
        _c("result", "VARCHAR", "Result text written on completion."),
        _c("owner_id", "BIGINT", "Who must do it (users.id)."),
        _c("created_by", "BIGINT", "Who set it (users.id)."),
        _c("deal_id", "BIGINT", "The deal it concerns (deals.id), if any."),
        _c("contact_id", "BIGINT", "The contact it concerns (contacts.id), if any."),
        _c("deleted", "BOOLEAN", "True once deleted in the CRM; reports leave such tasks out.", False),
    ),
    ("id",),
)

GOALS = Table(
    "goals",
    "Sales plans per manager or team per period.",
    (
        _c("id", "BIGINT", "Goal id.", False),
        _c("scope", "VARCHAR", "manager or team.", False),
        _c("user_id", "BIGINT", "The manager (users.id) when scope is manager."),
        _c("team_id", "BIGINT", "The team (teams.id) when scope is team."),
        _c("period_start", "DATE", "First day of the period (account-local date).", False),
        _c("period_end", "DATE", "Last day of the period, inclusive (account-local date).", False),
        _c("metric", "VARCHAR", "won_amount or won_count.", False),
        _c("target", MONEY, "The plan: money in account currency, or a count.", False),
    ),
    ("id",),
)

SYNC_STATE = Table(
    "sync_state",
    "Where each connector's sync of each entity stands.",
    (
        _c("source", "VARCHAR", "Connector name: kommo, import, demo.", False),
        _c("entity", "VARCHAR", "What is synced: leads, events, ... or all.", False),
        _c("cursor", "VARCHAR", "Opaque resume point (timestamp or page link)."),
        _c("started_at", "TIMESTAMP", "When the last run started (UTC)."),
        _c("finished_at", "TIMESTAMP", "When the last run finished (UTC); data is fresh as of then."),
        _c("rows", "BIGINT", "Rows written by the last run."),
    ),
    ("source", "entity"),
)

SETTINGS = Table(
    "settings",
    "Account-wide settings that change what reports count (one row per setting).",
    (
        _c("name", "VARCHAR", "Setting name, e.g. overload_limit.", False),
        _c("value", "VARCHAR", "Setting value as text (typed where it is read).", False),
    ),
    ("name",),
)

SPEND = Table(
    "spend",
    "Advertising spend per day, channel, campaign and ad (imported from ad platforms or files).",
    (
        _c("id", "BIGINT", "Row id assigned at import.", False),
        _c("date", "DATE", "Day the money was spent (the ad platform's reporting day).", False),
        _c("platform", "VARCHAR", "Where the row came from: google_ads, meta_ads, tiktok_ads or file.", False),
        _c("source", "VARCHAR", "Channel, matched against deals.utm_source (e.g. google, facebook).", False),
        _c("medium", "VARCHAR", "Matched against deals.utm_medium (e.g. cpc); NULL when unknown."),
        _c("campaign", "VARCHAR", "Matched against deals.utm_campaign; NULL when unknown."),
        _c("ad", "VARCHAR", "Ad name, matched against deals.utm_content; NULL when unknown."),
        _c("spend", MONEY, "Money spent, converted to the account currency.", False),
        _c("currency", "VARCHAR", "ISO 4217 code of the currency the platform billed in.", False),
        _c("spend_original", MONEY, "Money spent in `currency`, as imported.", False),
        _c("clicks", "BIGINT", "Clicks, when the platform reports them."),
        _c("impressions", "BIGINT", "Impressions, when the platform reports them."),
        _c("file", "VARCHAR", "Name of the file the row was imported from."),
    ),
    ("id",),
)

CURRENCY_RATES = Table(
    "currency_rates",
    "Exchange rates into the account currency, per currency per day.",
    (
        _c("currency", "VARCHAR", "ISO 4217 code converted from.", False),
        _c("date", "DATE", "Day the rate applies to.", False),
        _c("rate", "DECIMAL(18,6)", "Units of the account currency for one unit of `currency`.", False),
    ),
    ("currency", "date"),
)

TABLES: tuple[Table, ...] = (
    ACCOUNT,
    TEAMS,
    USERS,
    PIPELINES,
    STAGES,
    CONTACTS,
    DEALS,
    DEAL_STAGE_CHANGES,
    ACTIVITIES,
    CALLS,
    TASKS,
    GOALS,
    SYNC_STATE,
    SETTINGS,
    SPEND,
    CURRENCY_RATES,
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The declaration of one canonical table, by name."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no canonical table {name!r}; tables: {', '.join(TABLES_BY_NAME)}") from None


def quote_ident(name: str) -> str:
    """Double-quote an identifier: ``at`` is a keyword in DuckDB, so every column is quoted."""
    return '"' + name.replace('"', '""') + '"'


def create_statement(t: Table) -> str:
    """Portable ``CREATE TABLE`` for one declaration (DuckDB and PostgreSQL)."""
    cols = [
        f"    {quote_ident(c.name)} {c.type}{'' if c.nullable else ' NOT NULL'}"
        for c in t.columns
    ]
    keys = ", ".join(quote_ident(k) for k in t.primary_key)
    cols.append(f"    PRIMARY KEY ({keys})")
    return f"CREATE TABLE {t.name} (\n" + ",\n".join(cols) + "\n);"


def comment_statements(t: Table) -> list[str]:
    """``COMMENT ON`` statements that store the descriptions in the database itself."""

    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    out = [f"COMMENT ON TABLE {t.name} IS {quote(t.description)};"]
    out += [
        f"COMMENT ON COLUMN {t.name}.{quote_ident(c.name)} IS {quote(c.description)};"
        for c in t.columns
    ]
    return out
