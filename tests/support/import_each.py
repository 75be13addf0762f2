"""Import every module of the project alone, each in an interpreter that has loaded none of the project.

    python tests/support/import_each.py ROOT PACKAGE...      prints one JSON line per module

A module that imports only because something else was imported first hides an import circle;
a module that catches an ImportError of its own project hides a broken part.  Each module is
imported in a child forked from a zygote process: the zygote has loaded the third-party
libraries the project uses (found by a throwaway process that imports everything) and none of
the project's own modules, so every child starts from a fresh project state at a fraction of
an interpreter's start-up time.  In the child, an ImportError about a project module counts
even when the project's code catches it.

This file must not import the project (not even tests.*): it runs as a script by path.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import traceback

PARALLEL = max(2, min(4, os.cpu_count() or 2))


def module_names(root: str, packages: list[str]) -> list[str]:
    """Every module file under the packages' folders (read from disk: pkgutil would import them)."""
    names = []
    for package in packages:
        for folder, subfolders, files in os.walk(os.path.join(root, package)):
            if "__init__.py" not in files:
                subfolders.clear()                              # data folders (locales, scenarios)
                continue
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            dotted = os.path.relpath(folder, root).replace(os.sep, ".")
            names.append(dotted)
            names += [f"{dotted}.{file[:-3]}" for file in sorted(files)
                      if file.endswith(".py") and file not in ("__init__.py", "__main__.py")]  # __main__ runs the program
    return names


def _is_project(name: str | None, packages: list[str]) -> bool:
    return bool(name) and name.split(".", 1)[0] in packages


def third_party_modules(root: str, packages: list[str], names: list[str]) -> list[str]:
    """What importing the whole project loads from outside it, in load order."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"           # the children report it; the probe only gathers libraries
        f"print(json.dumps([m for m in sys.modules if m.split('.', 1)[0] not in {packages!r} "
        "and m != '__main__']))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": root})
    if done.returncode != 0:
        raise RuntimeError(f"the probe import of the whole project failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_in_child(name: str, root: str, packages: list[str]) -> str | None:
    """In the forked child: import `name`; the failure as text, or None.

    An ImportError about a project module raised in the project's own code counts even when
    that code catches it (a trace of exceptions only, in the project's frames only)."""
    swallowed: dict[int, str] = {}
    project_dirs = tuple(os.path.join(root, package) + os.sep for package in packages)

    def on_exception(frame, event, arg):
        if event == "exception":
            error = arg[1]
            if isinstance(error, ImportError) and (
                    _is_project(error.name, packages) or "partially initialized module" in str(error)):
                where = f"{os.path.relpath(frame.f_code.co_filename, root)}:{frame.f_lineno}"
                swallowed.setdefault(id(error), f"{where}: {type(error).__name__}: {error}")
        return on_exception

    def on_call(frame, event, arg):
        if not frame.f_code.co_filename.startswith(project_dirs):
            return None
        frame.f_trace_lines = False
        return on_exception

    sys.settrace(on_call)
    try:
        importlib.import_module(name)
    except BaseException:
        return traceback.format_exc()
    finally:
        sys.settrace(None)
    if swallowed:
        return "an ImportError of the project was raised and caught while importing it: " + \
            "; ".join(swallowed.values())
    return None


def run(root: str, packages: list[str]) -> list[dict]:
    sys.path.insert(0, root)
    names = module_names(root, packages)
    for library in third_party_modules(root, packages, names):
        try:
            importlib.import_module(library)
        except Exception:
            pass            # a library's optional part the probe saw half-imported; children import on demand
    assert not [m for m in sys.modules if _is_project(m, packages)], "the zygote must not load the project"
    results, running = [], {}
    pending = list(names)
    while pending or running:
        while pending and len(running) < PARALLEL:
            name = pending.pop(0)
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:                                        # the child
                os.close(read_end)
                try:
                    problem = _import_in_child(name, root, packages)
                    # Short of a pipe's buffer: the parent reads only once the child has ended.
                    os.write(write_end, (problem or "")[-16_000:].encode("utf-8", "replace"))
                finally:
                    os._exit(0)
            os.close(write_end)
            running[pid] = (name, read_end)
        pid, status = os.wait()
        name, read_end = running.pop(pid)
        with os.fdopen(read_end, "rb") as pipe:
            problem = pipe.read().decode("utf-8", "replace")
        if not problem and status != 0:
            problem = f"the child importing it ended with status {status}"
        results.append({"module": name, "problem": problem or None})
    return results


if __name__ == "__main__":
    for result in run(sys.argv[1], sys.argv[2:]):
        print(json.dumps(result))
