"""Whatever an enrolling client sends, the hub answers with a refusal that says why, never a crash."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings, strategies as st

from hub.pki.ca import CsrProblem, make_csr, parse_csr
from hub.pki.enrollment import EnrollmentRefused, _check_agent_id, _signing_key

PEM_HEAD = "-----BEGIN CERTIFICATE REQUEST-----\n"
PEM_TAIL = "\n-----END CERTIFICATE REQUEST-----\n"
VALID_CSR = make_csr("counter-1")[0].decode()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: PEM_HEAD + base64.b64encode(b).decode() + PEM_TAIL)))
def test_garbage_csr_is_a_csr_problem(text):
    try:
        parse_csr(text)
    except CsrProblem as problem:
        assert str(problem)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=40, max_value=len(VALID_CSR) - 40), st.characters(codec="ascii"))
def test_a_tampered_csr_is_refused(position, char):
    tampered = VALID_CSR[:position] + char + VALID_CSR[position + 1:]
    if tampered == VALID_CSR:
        return
    try:
        parse_csr(tampered)
    except CsrProblem:
        return
    # Some changes hit base64 padding bits and decode to the same DER: then it is the same CSR.
    assert parse_csr(tampered).public_bytes(Encoding.DER) == parse_csr(VALID_CSR).public_bytes(Encoding.DER)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_agent_id_or_key_text_is_accepted_or_refused_with_a_code(text):
    for check in (_check_agent_id, lambda t: _signing_key(t, "counter-1")):
        try:
            check(text)
        except EnrollmentRefused as refused:
            assert refused.code in ("bad_agent_id", "bad_signing_key") and refused.message
