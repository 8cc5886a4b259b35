"""The layers' import rules (docs/architecture.md): the domain imports no framework and no adapter, the
shared library imports no service, no service imports another, and nothing that runs imports the dev kit."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("capture", "scoring", "routing", "sla_monitor", "metrics", "delivery")
# Frameworks and drivers: adapters and composition roots use them, the domain never does.
FRAMEWORKS = (
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "asyncpg", "alembic", "aiokafka", "httpx", "aiohttp",
    "prometheus_client", "structlog",
)  # fmt: skip
# What the domain may take from the shared library: events and pure rules, no I/O.
PURE_SHARED = (
    "leadrelay.events",
    "leadrelay.calendars",
    "leadrelay.paths",
    "leadrelay.sla_policies",
    "leadrelay.tokens",
)


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(self.path.anchor)}:{self.line} imports {self.imported}: {self.rule}"


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (absolute names; relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import; the layers are checked by name")
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    parts = path.with_suffix("").parts
    return ".".join(parts[parts.index("leadrelay") :]).removesuffix(".__init__")


def violations(path: Path) -> list[Violation]:
    """What one file of the runtime (the shared library or a service) imports against the rules."""
    module = module_name(path)
    service = next((s for s in SERVICES if within(module, f"leadrelay.{s}")), None)
    found = []
    for line, name in imports(path):
        if within(name, "leadrelay.devkit"):
            found.append(Violation(path, line, name, "the runtime never imports the development kit"))
        others = [s for s in SERVICES if s != service and within(name, f"leadrelay.{s}")]
        if others:
            rule = "the shared library knows no service" if service is None else "no service imports another"
            found.append(Violation(path, line, name, rule))
        if service and within(module, f"leadrelay.{service}.domain"):
            framework = any(within(name, f) for f in FRAMEWORKS)
            ours = within(name, "leadrelay")
            pure = within(name, f"leadrelay.{service}.domain") or any(within(name, p) for p in PURE_SHARED)
            if framework or (ours and not pure):
                found.append(Violation(path, line, name, "the domain imports no framework and no adapter"))
    return found


def runtime_files() -> list[Path]:
    return sorted([*(ROOT / "shared" / "src").rglob("*.py"), *(ROOT / "services").glob("*/src/**/*.py")])


def test_the_runtime_keeps_the_import_rules():
    files = runtime_files()
    assert len(files) > 100 and any("/domain/" in str(f) for f in files)
    broken = [str(v) for path in files for v in violations(path)]
    assert not broken, "\n".join(broken)


def write(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_a_domain_module_that_imports_an_adapter_or_a_framework_is_refused(tmp_path):
    domain = "services/routing/src/leadrelay/routing/domain/"
    adapter = write(tmp_path, domain + "a.py", "from leadrelay.routing.adapters.repository import Ledger\n")
    framework = write(tmp_path, domain + "b.py", "def f():\n    import sqlalchemy\n")
    database = write(tmp_path, domain + "c.py", "from leadrelay.db import outbox\n")
    pure = write(tmp_path, domain + "d.py", "from leadrelay.events.lead import Company\nimport pydantic\n")
    assert [v.imported for v in violations(adapter)] == ["leadrelay.routing.adapters.repository.Ledger"]
    assert [v.imported for v in violations(framework)] == ["sqlalchemy"]
    assert [v.rule for v in violations(database)] == ["the domain imports no framework and no adapter"]
    assert violations(pure) == []


def test_a_service_importing_another_and_the_library_importing_a_service_are_refused(tmp_path):
    handler = write(tmp_path, "services/routing/src/leadrelay/routing/x.py", "import leadrelay.scoring.api\n")
    library = write(tmp_path, "shared/src/leadrelay/db/x.py", "from leadrelay.capture import intake\n")
    kit = write(tmp_path, "shared/src/leadrelay/kafka/x.py", "from leadrelay.devkit.testing import keys\n")
    assert [v.rule for v in violations(handler)] == ["no service imports another"]
    assert [v.rule for v in violations(library)] == ["the shared library knows no service"]
    assert [v.rule for v in violations(kit)] == ["the runtime never imports the development kit"]


def app_state_lookups(path: Path) -> list[int]:
    """Lines where a service module outside its composition root and context reads `request.app.state`."""
    if path.name in ("bootstrap.py", "context.py"):
        return []
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "state"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "app"
        ):
            lines.append(node.lineno)
    return lines


def test_endpoints_receive_their_context_instead_of_looking_into_app_state():
    files = sorted((ROOT / "services").glob("*/src/**/*.py"))
    found = [f"{path.relative_to(ROOT)}:{line}" for path in files for line in app_state_lookups(path)]
    assert not found, "\n".join(found)


def test_an_app_state_look_up_in_an_endpoint_module_is_found(tmp_path):
    api = write(tmp_path, "api.py", "async def f(request):\n    return request.app.state.runtime\n")
    root = write(tmp_path, "bootstrap.py", "def build(app):\n    app.state.context = 1\n")
    assert app_state_lookups(api) == [2] and app_state_lookups(root) == []
