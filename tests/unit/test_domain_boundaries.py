"""The domain imports only the standard library and pydantic, and every error code is tested."""

import ast
import sys
from pathlib import Path

from domain.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"pydantic", "pydantic_core", "typing_extensions", "domain"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_imports_only_the_standard_library_and_pydantic() -> None:
    files = sorted((ROOT / "domain").rglob("*.py"))
    assert files
    for path in files:
        foreign = {
            name
            for name in _imports(path)
            if name not in sys.stdlib_module_names and name not in ALLOWED
        }
        assert not foreign, f"{path.relative_to(ROOT)} imports {sorted(foreign)}"


def test_every_error_code_is_exercised_by_a_unit_test() -> None:
    here = Path(__file__).parent
    tests = "".join(p.read_text() for p in here.glob("test_*.py") if p.name != Path(__file__).name)
    untested = [code for code in ERROR_CODES if f'"{code}"' not in tests]
    assert not untested
