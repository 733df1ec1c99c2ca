"""Web users, their sessions and what each role may see.

Kept apart from the analytics warehouse (``$SALESSCOPE_HOME/auth.sqlite3``): password hashes are
secrets, the warehouse can be rebuilt by ``demo``/``restore``, and DuckDB's single-writer lock must
never stand between a user and the login form.
"""
