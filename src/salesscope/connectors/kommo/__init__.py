"""The Kommo (amoCRM) connector: API v4 → canonical tables, incremental and resumable.

Modules, in the order data flows: ``client`` (HTTP with rate limit, retries, auth refresh) →
``streams`` (endpoints as data) → ``map_*`` (pure raw record → canonical row functions) →
``sync`` (pages loaded by upsert, checkpointed in ``sync_state``). ``webhooks`` receives Kommo's
webhooks and ``targeted`` fetches what they name. See ``../shared/kommo/API.md`` for the API facts.
"""
