"""The outbox's service module does not import its task module at load time (the task imports the service)."""

import ast
from pathlib import Path

import notifications

SERVICES = Path(notifications.__file__).with_name("services.py")


def module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:  # top-level statements only
        if isinstance(node, ast.ImportFrom):
            names |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module or ""}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_services_do_not_import_tasks_at_module_level():
    assert not {"notifications.tasks", "notifications"} & module_level_imports(SERVICES)
