"""Every module of the project imports alone, from a fresh start: no import circle, no swallowed ImportError."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).resolve().parent / "support" / "import_each.py"
PACKAGES = ["counterpay", "protocol", "agent", "hub", "simulators"]


def import_each(root: Path, packages: list[str]) -> dict[str, str | None]:
    # -P: the runner's own folder (tests/support) must not shadow anything on the path.
    done = subprocess.run([sys.executable, "-P", str(RUNNER), str(root), *packages], capture_output=True,
                          text=True, timeout=240, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["module"]: r["problem"] for r in results}


def test_every_module_of_the_project_imports_alone_in_a_fresh_interpreter():
    results = import_each(ROOT, PACKAGES)
    on_disk = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for package in PACKAGES for p in (ROOT / package).rglob("*.py")
               if p.name != "__main__.py" and "__pycache__" not in p.parts}
    assert set(results) == on_disk, "every module file was imported"
    problems = {module: problem for module, problem in results.items() if problem}
    assert not problems, "\n\n".join(f"{module}:\n{problem}" for module, problem in sorted(problems.items()))


def test_the_runner_finds_a_circle_a_swallowed_import_error_and_a_broken_module(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/fine.py": "import json\nVALUE = 1\n",
        # Imported first, `orders` needs `tills`, which needs what `orders` has not defined yet.
        "shop/orders.py": "from shop.tills import open_till\nORDER = 1\n",
        "shop/tills.py": textwrap.dedent("""\
            def open_till():
                pass
            try:
                from shop.orders import ORDER
            except ImportError:
                ORDER = None
            """),
        "shop/broken.py": "from shop.fine import MISSING\n",
        "shop/optional.py": "try:\n    import a_library_nobody_installed\nexcept ImportError:\n    pass\n",
        "shop/__main__.py": "raise SystemExit('never run')\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    results = import_each(tmp_path, ["shop"])
    assert set(results) == {"shop", "shop.fine", "shop.orders", "shop.tills", "shop.broken", "shop.optional"}
    assert results["shop"] is None and results["shop.fine"] is None
    assert results["shop.tills"] is None                        # alone it finds orders complete
    assert results["shop.optional"] is None                     # a missing third-party library may be optional
    assert "shop/tills.py:4" in results["shop.orders"] and "partially initialized module" in results["shop.orders"]
    assert "cannot import name 'MISSING'" in results["shop.broken"]
