"""Fixtures shared by the widget's browser tests and its channel's tests: the real
servers with the web channel, the practice's website and another website.

Registered for the whole test session in `tests/conftest.py` (`pytest_plugins`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.widget_helpers import WIDGET_JS
from tests.helpers.widget_servers import MODEL, Servers, StaticSite


@pytest.fixture(scope="session")
def widget_built() -> Path:
    if not WIDGET_JS.exists():
        pytest.fail(f"{WIDGET_JS} is missing: run `make widget`")
    return WIDGET_JS


@pytest.fixture(scope="session")
def practice_site(tmp_path_factory):
    """The practice's own website (another origin, allowed in the practice settings)."""
    site = StaticSite(tmp_path_factory.mktemp("practice_site")).start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def other_site(tmp_path_factory):
    """A website that is NOT in the practice's allowed origins."""
    site = StaticSite(tmp_path_factory.mktemp("other_site")).start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory, widget_built, practice_site):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    running = Servers(tmp_path_factory.mktemp("widget_servers"), [practice_site.origin])
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def answers(servers):
    """The answers as the servers give them (same practice settings)."""
    from knowledge import load_knowledge

    return load_knowledge(practice_file=servers.practice_file)
