"""The folders say what each part is; these import rules keep them honest.

- `common/` (shared facts) imports none of the project's other packages;
- `knowledge/` (the answers) imports only `common`: both servers use it;
- `actions/` (the action server) imports only `knowledge` and `common`;
- `addons/nlu/` (what the trained model depends on) imports only itself,
  `common.names` (the Makefile's training inputs are that folder and that file)
  and `common.thresholds` (the safety table, read at load, never trained on);
- nothing in the Rasa server (`addons/`) imports the action server.
"""

import ast
from pathlib import Path
from typing import Set

import pytest

from common.paths import PROJECT_ROOT

PROJECT_PACKAGES = ("actions", "addons", "common", "knowledge")


def project_imports(folder: str) -> Set[str]:
    found = set()
    for path in (PROJECT_ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found |= {n for n in names if n.split(".")[0] in PROJECT_PACKAGES}
    return found


@pytest.mark.parametrize(
    "folder, allowed",
    [
        ("common", ("common",)),
        ("knowledge", ("knowledge", "common")),
        ("actions", ("actions", "knowledge", "common")),
        # The thresholds table is read when the model loads (the red-flag patterns take
        # their severity from it); nothing is trained on it. The language rules are
        # trained on (each example is read by its language's spaCy pipeline).
        ("addons/nlu", ("addons.nlu", "common.names", "common.thresholds", "common.language")),
        # The command-line chat is a client of the server: no Rasa, no knowledge.
        ("addons/shell", ("addons.shell", "common")),
        ("addons", ("addons", "knowledge", "common")),
    ],
)
def test_each_part_imports_only_what_its_role_allows(folder, allowed):
    outside = {
        name
        for name in project_imports(folder)
        if not any(name == a or name.startswith(a + ".") for a in allowed)
        and name not in {a.rsplit(".", 1)[0] for a in allowed}
    }
    assert not outside, f"{folder} imports {sorted(outside)}"


def test_the_makefile_retrains_on_the_nlu_package_not_a_list_of_files():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "find addons/nlu" in makefile and "common/names.py" in makefile
    assert "common/language.py" in makefile
    assert "SERVER_ONLY" not in makefile


def test_the_pipeline_names_only_nlu_components_of_ours():
    config = (PROJECT_ROOT / "config.yml").read_text()
    ours = [
        line.split("name:")[1].strip() for line in config.splitlines() if "name: addons." in line
    ]
    assert ours and all(name.startswith("addons.nlu.") for name in ours)


def test_every_test_folder_is_a_package():
    missing = [
        str(p.relative_to(PROJECT_ROOT))
        for p in (PROJECT_ROOT / "tests").rglob("*")
        if p.is_dir() and any(p.glob("*.py")) and not (p / "__init__.py").exists()
    ]
    assert not missing


def test_tests_mirror_the_code_folders():
    for folder in (
        "actions",
        "knowledge",
        "common",
        "addons/nlu",
        "addons/server",
        "addons/channels",
        "addons/staff",
        "addons/rasa_compat",
        "addons/shell",
    ):
        assert (PROJECT_ROOT / "tests" / folder).is_dir(), folder


def test_nothing_in_the_code_is_path_relative_to_a_test():
    assert not list(Path(PROJECT_ROOT / "addons").rglob("test_*.py"))
