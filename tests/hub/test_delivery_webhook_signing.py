"""Standard Webhooks signing: the spec's published vector, rotation, and every way to refuse."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, strategies as st

from protocol import webhooks
from protocol.webhooks import WebhookSecretError, WebhookSignatureError

# The vector published with the Standard Webhooks reference libraries (python/tests/test_webhooks.py).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signing_reproduces_the_published_example():
    assert webhooks.sign([SPEC_SECRET], SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE


def test_the_published_example_verifies_within_tolerance():
    headers = {"Webhook-Id": SPEC_ID, "Webhook-Timestamp": str(SPEC_TS), "Webhook-Signature": SPEC_SIGNATURE}
    assert webhooks.verify([SPEC_SECRET], headers, SPEC_BODY, now=SPEC_TS + 10) == SPEC_ID


def test_unpadded_secret_gives_the_same_key():
    assert webhooks.sign([SPEC_SECRET.rstrip("=")], SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE


def _headers(secrets, body=b"{}", ts=1_700_000_000, msg_id="msg_1"):
    return webhooks.signed_headers(secrets, msg_id, ts, body)


def test_rotation_signs_with_both_secrets_and_either_one_verifies():
    old, new = webhooks.new_secret(), webhooks.new_secret()
    headers = _headers([new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert webhooks.verify([old], headers, b"{}", now=1_700_000_000) == "msg_1"
    assert webhooks.verify([new], headers, b"{}", now=1_700_000_000) == "msg_1"
    with pytest.raises(WebhookSignatureError) as err:
        webhooks.verify([webhooks.new_secret()], headers, b"{}", now=1_700_000_000)
    assert err.value.reason == "signature_mismatch"


@pytest.mark.parametrize("change, reason", [
    (lambda h, b: (h, b + b" "), "signature_mismatch"),
    (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "signature_mismatch"),
    (lambda h, b: ({**h, "webhook-timestamp": "1700000001"}, b), "signature_mismatch"),
    (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "missing_header"),
    (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "bad_timestamp"),
    (lambda h, b: ({**h, "webhook-timestamp": "1699999000"}, b), "stale_timestamp"),
    (lambda h, b: ({**h, "webhook-signature": "v1a,abc v2,xyz"}, b), "no_v1_signature"),
])
def test_tampered_or_incomplete_deliveries_are_refused_with_a_reason(change, reason):
    secret = webhooks.new_secret()
    headers, body = change(_headers([secret]), b"{}")
    with pytest.raises(WebhookSignatureError) as err:
        webhooks.verify([secret], headers, body, now=1_700_000_000)
    assert err.value.reason == reason


def test_timestamp_far_in_the_future_is_refused_and_tolerance_none_skips_the_check():
    secret = webhooks.new_secret()
    headers = _headers([secret], ts=1_700_001_000)
    with pytest.raises(WebhookSignatureError, match="future"):
        webhooks.verify([secret], headers, b"{}", now=1_700_000_000)
    assert webhooks.verify([secret], headers, b"{}", now=1_700_000_000, tolerance_s=None) == "msg_1"


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!", "whsec_" +
                                    base64.b64encode(b"short").decode(), "whsec_", None])
def test_malformed_secrets_are_named(secret):
    with pytest.raises(WebhookSecretError):
        webhooks.sign([secret], "msg", 1, b"")


@given(st.dictionaries(st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x"]),
                       st.text(max_size=80)), st.binary(max_size=200))
def test_arbitrary_headers_never_verify_and_never_crash(headers, body):
    with pytest.raises(WebhookSignatureError):
        webhooks.verify([SPEC_SECRET], headers, body, now=SPEC_TS)

