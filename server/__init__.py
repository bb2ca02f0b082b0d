"""The HTTP service: settings, database, auth, the Starlette app and the `quartier` CLI."""
