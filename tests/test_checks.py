"""scripts/check_redefinitions.py: a def or class defined twice in one body is found; alternatives are not."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_redefinitions.py"

_spec = importlib.util.spec_from_file_location("check_redefinitions", SCRIPT)
check = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check          # dataclasses look their module up while the script loads
_spec.loader.exec_module(check)


def found(source: str) -> list[tuple[str, str, int, int]]:
    return [(r.scope, r.name, r.first_line, r.line) for r in check.redefinitions(textwrap.dedent(source))]


def test_a_method_shadowed_by_a_later_one_of_the_same_name_is_found():
    assert found('''
        class PaymentLife:
            def _retry_unresolved(self):
                try:
                    return self.store.retry()
                except StoreError:
                    return None

            def take(self):
                return self._retry_unresolved()

            def _retry_unresolved(self):
                return self.store.retry()
        ''') == [("PaymentLife", "_retry_unresolved", 3, 12)]


def test_module_functions_classes_and_async_defs_count_across_kinds():
    assert found('''
        def test_pays():
            pass

        async def test_pays():
            pass

        class Receipt:
            pass

        Receipt = None

        def Receipt():
            pass
        ''') == [("module", "test_pays", 2, 5), ("module", "Receipt", 8, 13)]


def test_nested_classes_are_checked_in_their_own_body():
    assert found('''
        class Outer:
            class Inner:
                def a(self): ...
                def a(self): ...
            def a(self): ...
        ''') == [("Outer.Inner", "a", 4, 5)]


def test_overloads_and_property_accessors_are_alternatives_not_repeats():
    assert found('''
        import typing
        from typing import overload

        class Money:
            @property
            def minor(self): ...
            @minor.setter
            def minor(self, value): ...
            @minor.deleter
            def minor(self): ...

            @overload
            def add(self, other: int) -> int: ...
            @typing.overload
            def add(self, other: str) -> str: ...
            def add(self, other): ...
        ''') == []


def test_branches_of_if_and_try_may_each_define_the_name():
    assert found('''
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            class Store: ...
        else:
            class Store: ...

        try:
            from fast import parse
        except ImportError:
            def parse(text): ...
        else:
            def helper(): ...

        def helper(): ...
        ''') == []


def test_a_repeat_inside_one_branch_is_still_found():
    assert found('''
        import sys
        if sys.platform == "linux":
            def open_port(): ...
            def open_port(): ...
        ''') == [("module", "open_port", 4, 5)]


def test_functions_inside_functions_and_underscore_are_left_alone():
    assert found('''
        def outer():
            def step(): ...
            def step(): ...

        @dispatch.register
        def _(value: int): ...
        @dispatch.register
        def _(value: str): ...
        ''') == []


def test_the_command_names_file_line_and_what_to_do_and_fails(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def a():\n    pass\n\n\ndef a():\n    pass\n")
    good = tmp_path / "good.py"
    good.write_text("def a():\n    pass\n")
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stdout.strip() == (f"{bad}:5: 'a' is defined again in the module (first at line 1); "
                                  "the first definition is dead: remove one or rename it")
    clean = subprocess.run([sys.executable, str(SCRIPT), str(good)], capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0 and clean.stdout == ""
    relative = subprocess.run([sys.executable, str(SCRIPT), "bad.py"], capture_output=True, text=True, timeout=60,
                              cwd=tmp_path)
    assert relative.returncode == 1 and relative.stdout.startswith("bad.py:5: 'a' is defined again")
