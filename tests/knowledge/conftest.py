"""Fixtures the knowledge tests share."""

import shutil

import pytest

from knowledge import CONTENT_DIR


@pytest.fixture
def content(tmp_path):
    """A copy of the shipped content (both languages) to break on purpose."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target
