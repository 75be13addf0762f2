"""The domain's words on the wire: every tender and reference format an agent may send is
one the schemas accept (and the hub stores), members and plain strings alike."""

from __future__ import annotations

import pytest

from protocol.domain import ReferenceFormat, Tender
from protocol.wire import WireError
from protocol.wire.messages import validate_body

PAYMENT = {"payment_id": "p-1", "receipt_id": "R-1", "office": "riga", "amount_minor": 1250, "currency": "EUR",
           "reference": {"format": "case", "value": "VR-2026-1"}, "captured_at": "2026-11-22T10:00:00Z"}


@pytest.mark.parametrize("tender", list(Tender))
@pytest.mark.parametrize("reference_format", list(ReferenceFormat))
def test_every_tender_and_reference_format_passes_the_payment_schema(tender, reference_format):
    for body in ({**PAYMENT, "tender": tender, "reference": {"format": reference_format, "value": "x"}},
                 {**PAYMENT, "tender": str(tender), "reference": {"format": str(reference_format), "value": "x"}}):
        captured = validate_body("payment.captured", body)
        assert captured.tender == tender and captured.reference.format == reference_format
        assert type(captured.model_dump()["tender"]) is str        # stored and signed as the plain word


@pytest.mark.parametrize("field, value", [("tender", "voucher"), ("reference", {"format": "iban", "value": "x"})])
def test_a_word_outside_the_domain_is_refused_by_name(field, value):
    with pytest.raises(WireError, match=field):
        validate_body("payment.captured", {**PAYMENT, "tender": "card", field: value})


def test_the_end_of_day_report_counts_by_the_same_tenders():
    report = validate_body("eod.report", {"batch_id": "b-1", "currency": "EUR", "mismatch": False,
                                          "closed_at": "2026-11-22T18:00:00Z",
                                          "journal": {t: {"count": 0, "total_minor": 0} for t in Tender}})
    assert set(report.journal) == set(Tender)
