"""The web dashboard: server-rendered pages for every report, drill-down, login and roles.

``salesscope.web.app.create_app`` builds the FastAPI application; this package's ``__init__``
imports nothing heavy, so the CLI can read ``serverfile`` and ``wire`` without loading FastAPI.
"""
