"""The local Prefect server's settings, shared by `tinsach server` (`make server`) and the tests."""

from __future__ import annotations

import os

# Flow runs older than 30 days and events older than 7 are vacuumed, so SQLite does not grow without bound.
SERVER_SETTINGS = {
    "PREFECT_SERVER_API_HOST": "127.0.0.1",  # loopback only: put a proxy with auth in front to share it
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": "P30D",
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": "P7D",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def server_env(port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for `prefect server start` on 127.0.0.1:`port` (PREFECT_SERVER_API_PORT, not --port)."""
    env = dict(os.environ if base is None else base)
    env.update(SERVER_SETTINGS)
    env["PREFECT_SERVER_API_PORT"] = str(port)
    return env
