"""Shared fixtures: the bundled samples and one real Prefect test server per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
SEEDS = RAW / "samples" / "seeds"
HTML = RAW / "samples" / "html"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A real (temporary, SQLite) Prefect server for flow tests; started once per session."""
    from prefect.testing.utilities import prefect_test_harness

    # The server migrates a fresh database on start: ~30 s on a 2-core machine, so allow more than
    # the harness's 30 s default.
    with prefect_test_harness(server_startup_timeout=180):
        yield


def seed(name_prefix: str) -> str:
    """The text of a bundled seed dump, by its number prefix ("004")."""
    path = next(SEEDS.glob(f"{name_prefix}_*.txt"))
    return path.read_text(encoding="utf-8")
