"""Finding 16, formula cells: `=cmd|' /C calc'!A0` and `@SUM(…)` in an orders CSV were
stored verbatim and handed on.  Over real HTTP: every free-text cell that a spreadsheet
would run as a formula comes back prefixed with an apostrophe (OWASP's rule)."""

from __future__ import annotations

import csv
import io

FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(A1:A9)", "+1+1", "-2+3", "=HYPERLINK(\"http://x\")"]


def test_formula_cells_of_an_imported_csv_are_stored_inert(live_hub):
    operator = live_hub.auth(live_hub.token("operator"))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["case_ref", "payer_name", "payer_id", "description", "amount"])
    for n, formula in enumerate(FORMULAS):
        writer.writerow([f"C-{n}", formula, formula[:10].strip(), "\t" + formula, "1.00"])
    writer.writerow(["C-plain", "Anna Bērziņa", "LV-1", "passport fee", "1.00"])
    writer.writerow(["=1+1", "x", "", "", "1.00"])
    imported = live_hub.client.post("/api/v1/orders/import", content=text.getvalue().encode(),
                                    headers=operator | {"Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.text

    orders = {o["case_ref"]: o for o in live_hub.client.get("/api/v1/orders", headers=operator).json()}
    for n, formula in enumerate(FORMULAS):
        order = orders[f"C-{n}"]
        assert order["payer_name"] == "'" + formula
        assert order["payer_id"] == "'" + formula[:10].strip()
        assert order["description"] == "'" + formula, "a leading tab does not hide a formula"
    assert (orders["C-plain"]["payer_name"], orders["C-plain"]["description"]) == ("Anna Bērziņa", "passport fee")
    assert "'=1+1" in orders
