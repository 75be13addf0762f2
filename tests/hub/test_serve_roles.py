"""`hub serve --role … --worker NAME` (hub/serve.py): which parts a process runs and who it is at the
broker; a worker name without its certificate, or a role that does not exist, is refused saying so."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.cli import hub
from hub.config import ConfigError
from hub.pki.setup import init_pki, issue_worker_cert
from hub.serve import ROLES, identity_of, roles_of
from tests.hub.config_support import settings_for


def test_roles_default_to_all_and_may_be_given_several_times():
    assert roles_of(()) == roles_of(("all",)) == frozenset(ROLES) == {"api", "ingest", "delivery", "jobs"}
    assert roles_of(("ingest", "delivery")) == {"ingest", "delivery"}
    assert roles_of(("jobs", "all")) == frozenset(ROLES)


def test_a_worker_is_hub_name_with_its_own_certificate(tmp_path):
    data = tmp_path / "data"
    settings = settings_for(tmp_path, hub={"data_dir": str(data)},
                            mqtt={"tls": True, "client_id": "hub-1", "ca_file": str(data / "pki" / "ca.pem")})
    assert identity_of(settings, None).client_id == "hub-1"
    with pytest.raises(ConfigError, match="hub worker-cert .* --name in-1"):
        identity_of(settings, "in-1")
    init_pki(data)
    common_name, cert, key = issue_worker_cert(data, "in-1")
    identity = identity_of(settings, "in-1")
    assert (identity.client_id, identity.cert_file, identity.key_file) == (common_name, cert, key) == \
        ("hub-in-1", cert, key)
    with pytest.raises(ConfigError, match="--worker 'In 1'"):
        identity_of(settings, "In 1")


def test_the_command_refuses_an_unknown_role_and_says_what_each_runs(tmp_path):
    config = settings_for(tmp_path).config_path
    refused = CliRunner().invoke(hub, ["serve", "--config", str(config), "--role", "everything"])
    assert refused.exit_code == 2 and "'everything' is not one of" in refused.output
    shown = CliRunner().invoke(hub, ["serve", "--help"])
    for words in ("api = REST API and web", "ingest = MQTT ingest", "delivery = webhook", "jobs = scheduled",
                  "--worker NAME", "--port"):
        assert words in " ".join(shown.output.split())
