"""Session engines on accounts.Session: `accounts.sessions.db` and `accounts.sessions.cached_db` (Redis)."""
