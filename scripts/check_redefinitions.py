#!/usr/bin/env python3
"""Find a function or class defined twice in one module or class body: the first one is dead code.

ruff's F811 misses a method shadowed by a later one of the same name when nothing uses the
first in between; Python keeps the last silently, so a guard that only the first had is gone.

    python scripts/check_redefinitions.py              # the project's packages, tests and tools
    python scripts/check_redefinitions.py agent/ x.py  # just these

Definitions that are alternatives, not repeats, are allowed: `@typing.overload` stubs,
`@name.setter` / `.getter` / `.deleter` after a property, the name `_`, and definitions in
different branches of an `if` / `try` (TYPE_CHECKING, a platform, an optional import) or in a
nested block of their own.  Exit status 1 when anything was found.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("counterpay", "protocol", "agent", "hub", "simulators", "tests", "bench", "scripts")
SKIP_DIRS = {".venv", "__pycache__", ".git"}

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Redefinition:
    path: str
    scope: str          # "module" or the class's dotted name
    name: str
    first_line: int
    line: int

    def __str__(self) -> str:
        where = "the module" if self.scope == "module" else f"class {self.scope}"
        return (f"{self.path}:{self.line}: {self.name!r} is defined again in {where} (first at line "
                f"{self.first_line}); the first definition is dead: remove one or rename it")


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    return ".".join(reversed(parts))


def _is_overload(node: Definition) -> bool:
    return any(_decorator_name(d).rsplit(".", 1)[-1] == "overload" for d in node.decorator_list)


def _is_property_accessor(node: Definition) -> bool:
    """`@x.setter def x(...)`: the second half of a property, meant to reuse the name."""
    return any(_decorator_name(d) in {f"{node.name}.setter", f"{node.name}.getter", f"{node.name}.deleter"}
               for d in node.decorator_list)


def _blocks(statements: list[ast.stmt]) -> Iterator[list[ast.stmt]]:
    """This statement list and every block nested in it (if/else, try/except, with, loops, match),
    but not the bodies of functions and classes, which are scopes of their own."""
    yield statements
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            nested = getattr(statement, field, None)
            if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                yield from _blocks(nested)
        for handler in getattr(statement, "handlers", []):
            yield from _blocks(handler.body)
        for case in getattr(statement, "cases", []):
            yield from _blocks(case.body)


def _repeats(block: list[ast.stmt]) -> Iterator[tuple[Definition, Definition]]:
    seen: dict[str, Definition] = {}
    for statement in block:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if statement.name == "_" or _is_overload(statement):
            continue
        earlier = seen.get(statement.name)
        if earlier is not None and not _is_property_accessor(statement):
            yield earlier, statement
        seen[statement.name] = statement


def _scopes(tree: ast.Module) -> Iterator[tuple[str, list[ast.stmt]]]:
    yield "module", tree.body

    def classes(node: ast.AST, prefix: str) -> Iterator[tuple[str, list[ast.stmt]]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}"
                yield name, child.body
                yield from classes(child, f"{name}.")
            else:
                yield from classes(child, prefix)
    yield from classes(tree, "")


def redefinitions(source: str, path: str = "<source>") -> list[Redefinition]:
    """Every def/class that a later one of the same name in the same body replaces."""
    tree = ast.parse(source, filename=path)
    found = []
    for scope, body in _scopes(tree):
        for block in _blocks(body):
            for first, again in _repeats(block):
                found.append(Redefinition(path, scope, again.name, first.lineno, again.lineno))
    return sorted(found, key=lambda r: r.line)


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*.py")):
                if not SKIP_DIRS.intersection(file.relative_to(path).parts):
                    yield file


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [ROOT / p for p in DEFAULT_PATHS if (ROOT / p).exists()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"check_redefinitions: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    found = []
    for file in python_files(paths):
        resolved = file.resolve()
        shown = str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(file)
        found += redefinitions(file.read_text(encoding="utf-8"), shown)
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
