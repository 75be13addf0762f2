"""Bad input to the case-system simulator: cases files and request bodies it must survive."""

from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from protocol import webhooks
from simulators.case_system.cases import CasesFileError, load_cases
from tests.support.case_system import CaseSystemSim


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), suffix=st.sampled_from([".toml", ".json"]))
def test_any_cases_file_loads_or_is_refused_with_a_cases_file_error(tmp_path, text, suffix):
    path = tmp_path / f"cases{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        cases = load_cases(path)
    except CasesFileError as exc:
        assert str(exc)
    else:
        assert all(isinstance(c.amount_owed_minor, int) for c in cases.values())


def test_a_missing_cases_file_is_named(tmp_path):
    with pytest.raises(CasesFileError, match="cannot read"):
        load_cases(tmp_path / "nope.toml")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = CaseSystemSim(tmp_path_factory.mktemp("casesim-input")).start()
    yield process
    process.stop()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400))
def test_signed_garbage_bodies_are_recorded_and_the_simulator_stays_up(sim, body):
    headers = webhooks.signed_headers(sim.secrets, "msg_garbage", int(time.time()), body)
    response = httpx.post(sim.webhook_url, content=body, headers=headers, timeout=10)
    assert response.status_code == 204               # a valid signature over any bytes is accepted
    assert sim.received()[-1]["webhook_id"] == "msg_garbage"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=st.dictionaries(st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature"]),
                               st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
                               # an HTTP client cannot send a header value with white space at its ends
                               .filter(lambda value: value == value.strip())))
def test_forged_headers_get_401_and_the_simulator_stays_up(sim, headers):
    response = httpx.post(sim.webhook_url, content=b"{}", headers=headers, timeout=10)
    assert response.status_code == 401 and response.json()["reason"]
