"""Anyone with a login on the hub or counter PC reads the database, its WAL and the keys.

Before, `hub.db`, its -wal and the key files were 0644 in 0755 folders, with webhook
secrets and payer data inside.  Now every folder the hub and the agent create is 0700
and every file 0600.  Checked on real parts: `hub init`, the broker started by `hub up`
with the generated configuration, `hub serve`'s ingest and API on SQLite, an agent
enrolled over HTTP with `agent enroll` and the agent service started from its config.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import _setup_logging
from agent.config import load as load_agent_config
from agent.enroll import enroll as agent_enroll
from agent.service import AgentService
from hub import serve
from hub.config import load
from hub.pki.cli import down, up
from hub.pki.enrollment import create_token
from hub.setup import init_hub
from tests.support.broker import free_port, have_mosquitto, wait_for_port

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


def readable_by_others(*roots: Path) -> list[str]:
    """Every folder group/other may enter or list, every file group/other may read or write."""
    found = []
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for path in [Path(folder), *(Path(folder) / name for name in files)]:
                mode = stat.S_IMODE(path.lstat().st_mode)
                if not path.is_symlink() and mode & 0o077:
                    found.append(f"{path.relative_to(root.parent)} {mode:04o}")
    return sorted(set(found))


def _hub_config(hub_dir: Path) -> Path:
    """`hub init`'s configuration, on free ports so tests run side by side."""
    config = hub_dir / "hub.toml"
    broker_port, api_port = free_port(), free_port()
    text = config.read_text().replace("port = 8883", f"port = {broker_port}").replace("port = 8080",
                                                                                       f"port = {api_port}")
    config.write_text(text + '\n[broker]\nbind = "127.0.0.1"\n')
    return config


def test_hub_and_agent_files_are_their_owners_only(tmp_path):
    hub_dir = tmp_path / "hub"
    init_hub(hub_dir)
    config = _hub_config(hub_dir)
    settings = load(config)
    started = CliRunner().invoke(up, ["--config", str(config), "--background"])
    assert started.exit_code == 0, started.output
    context = serve.context_from_settings(settings)
    ingest = serve.build_ingest(settings, context).start()
    server = serve.build_server(settings, context)
    api = threading.Thread(target=server.run, daemon=True)
    api.start()
    agent_dir = tmp_path / "desk"
    try:
        assert ingest.subscribed.is_set(), "the hub's ingest must reach the broker it started"
        wait_for_port(settings.api_port)
        with context.db.begin() as conn:
            token, _ = create_token(conn, "riga-1", "test")
        agent_enroll(f"http://127.0.0.1:{settings.api_port}", token, "desk-1", agent_dir / "keys")
        agent_config = agent_dir / "agent.toml"
        agent_config.write_text(f'[agent]\nid = "desk-1"\noffice = "Riga 1"\ndata_dir = "{agent_dir / "data"}"\n'
                                f'key_dir = "{agent_dir / "keys"}"\ntenders = ["cash"]\n\n'
                                f'[hub]\nbroker = "mqtts://127.0.0.1:{settings.mqtt.port}"\n')
        agent_settings = load_agent_config(agent_config)
        _setup_logging(agent_settings)
        service = AgentService.open(agent_settings)
        time.sleep(1.0)          # the agent's sync connects and writes its state
        service.close()
        assert (hub_dir / "hub.db-wal").exists() and (agent_dir / "data").exists()
        assert readable_by_others(hub_dir, agent_dir / "data", agent_dir / "keys") == []
    finally:
        server.should_exit = True
        api.join(timeout=10)
        ingest.stop()
        context.db.dispose()
        CliRunner().invoke(down, ["--config", str(config)])
    # What mosquitto writes on the way out (its persistence file) too.
    assert readable_by_others(hub_dir) == []
