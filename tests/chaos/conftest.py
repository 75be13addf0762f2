"""One whole office site per chaos test module (starting one costs ~15-25 s): its desk harness,
the agent's cuttable network relay, and the run's figures printed at the end."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from counterpay.site import Site
from counterpay.site_process import free_port, pid_alive
from tests.chaos.desk import Desk
from tests.chaos.netcut import NetCut
from tests.chaos.scenarios import site_plan


@pytest.fixture(scope="module")
def desk(request):
    # Not pytest's rotating tmp dirs (other sessions on this machine rotate them away mid-run):
    # /tmp/counterpay-chaos/<module>.<pid> keeps the last run's logs, databases, ledger and
    # case-system record for a post-mortem; earlier runs' folders go once their pytest is gone.
    base = Path(os.environ.get("CP_CHAOS_DIR") or "/tmp/counterpay-chaos")
    module = request.module.__name__.rsplit(".", 1)[-1]
    for old in base.glob(f"{module}.*"):
        if old.suffix[1:].isdigit() and not pid_alive(int(old.suffix[1:])):
            shutil.rmtree(old, ignore_errors=True)
    workdir = base / f"{module}.{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    relay_port = free_port()
    site = Site(workdir / "site", site_plan(relay_port))
    site.start()
    relay = desk_ = None
    try:
        relay = NetCut(relay_port, site.broker_port).start()
        # CP_CHAOS_SEED=N replays a run's random choices (kill moments, tenders); the figures name it.
        desk_ = Desk.open(site, relay, seed=int(os.environ.get("CP_CHAOS_SEED") or random.randrange(1 << 30)))
        yield desk_
    finally:
        if desk_ is not None:
            desk_.close()
        if relay is not None:
            relay.stop()
        left = site.stop()
        if desk_ is not None:
            figures = {**desk_.tally.figures(), "seed": desk_.seed}
            (workdir / "chaos-figures.json").write_text(json.dumps(figures, indent=2))
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\nchaos figures ({module}, site kept in {workdir}): {json.dumps(figures)}")
        assert not left, f"the chaos site left processes running: {left}"
