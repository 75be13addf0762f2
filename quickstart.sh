#!/usr/bin/env bash
# counterpay quick start: sets up everything this machine lacks, then runs one job.
#
#   ./quickstart.sh demo     set up, then `counterpay demo` (broker, hub, simulators, agent)
#   ./quickstart.sh test     set up, then the default test suite (under 10 minutes)
#   ./quickstart.sh chaos    set up, then the long fault-injection and soak runs
#   ./quickstart.sh bench    set up, then every benchmark, printing one table
#   ./quickstart.sh setup    set up only
#
# Set-up is idempotent and fast when nothing is missing: Debian packages are installed
# only when absent (after `apt-get update`), the virtualenv only when the project's
# dependencies changed.  Extra arguments go to the job (e.g. `./quickstart.sh test -k zvt`).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
APT_PACKAGES=(mosquitto libzbar0 postgresql python3-venv tmux chromium fonts-dejavu-core poppler-utils)

say() { printf '\033[1m[quickstart]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to install Debian packages: $*"; exit 2; fi
}

install_debian_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

pick_python() {
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"; return; fi
    done
    say "Python 3.11 or newer is needed"; exit 2
}

install_project() {
    local stamp="$VENV/.counterpay-deps" want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtualenv in .venv"
        "$(pick_python)" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "installing counterpay and its dependencies into .venv"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[test]"
        echo "$want" > "$stamp"
    fi
}

start_postgres() {
    # The hub's tests run against SQLite and PostgreSQL; this prints the test database URL.
    if [ -x scripts/postgres-test-db.sh ]; then
        CP_TEST_PG_URL=$(scripts/postgres-test-db.sh) && export CP_TEST_PG_URL \
            && say "PostgreSQL for tests: $CP_TEST_PG_URL" \
            || say "PostgreSQL could not be started: the PostgreSQL variants of the hub tests will fail"
    fi
}

setup() {
    install_debian_packages
    install_project
    export PATH="$VENV/bin:$PATH"
}

job=${1:-demo}
shift || true
case "$job" in
    setup) setup; say "ready: activate with 'source .venv/bin/activate', then run 'counterpay --help'" ;;
    demo)  setup; say "running: counterpay demo $*"; exec counterpay demo "$@" ;;
    test)  setup; start_postgres
           say "checking the code: ruff, then names defined twice"
           "$VENV/bin/ruff" check .
           "$VENV/bin/python" scripts/check_redefinitions.py
           say "running the test suite and protocol/'s doctests, four at a time"
           exec "$VENV/bin/python" -m pytest -q -n 4 --dist loadgroup --durations=15 "$@" ;;
    chaos) setup; start_postgres; say "running the long fault-injection and soak runs (tens of minutes)"
           exec "$VENV/bin/python" -m pytest -q -m slow --timeout=3600 "$@" ;;
    bench) setup; say "running every benchmark"; exec "$VENV/bin/python" bench/run_all.py "$@" ;;
    *) say "unknown job '$job': use demo, test, chaos, bench or setup"; exit 2 ;;
esac
