"""The built widget: small enough, and its pure helpers pass their own tests."""

import gzip
import shutil
import subprocess

import pytest

from tests.helpers.widget_helpers import WIDGET_JS
from tests.helpers.widget_servers import ROOT

BUDGET = 60 * 1000  # bytes, gzipped: everything the widget loads


def test_widget_script_is_small(widget_built):
    raw = WIDGET_JS.read_bytes()
    zipped = len(gzip.compress(raw, 9))
    print(f"\nwidget.js: {len(raw)} bytes, {zipped} bytes gzipped (budget {BUDGET})")
    assert zipped <= BUDGET


def test_widget_loads_nothing_but_its_script_and_settings(widget_built):
    """One script: no separate stylesheet, font or image for the browser to fetch."""
    shipped = sorted(p.name for p in WIDGET_JS.parent.iterdir())
    assert shipped == ["demo.css", "index.html", "widget.js"]  # the demo page and its css
    text = WIDGET_JS.read_text()
    for third_party in ("fonts.googleapis", "cdn.", "unpkg", "jsdelivr", "analytics", "gtag"):
        assert third_party not in text


def test_text_and_colour_helpers_with_node():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to build the widget (and to test its helpers)")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=ROOT / "widget", capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
