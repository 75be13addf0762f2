"""Finding 12: `GET /keys` waited 8.2 s behind a 5,000-row CSV import whose synchronous
work ran on the event loop.  Over real HTTP: while a 5,000-row import is being stored,
other requests are answered, long before the import is done."""

from __future__ import annotations

import threading
import time

import httpx

ROWS = 5000


def test_other_requests_are_answered_while_a_large_csv_import_runs(live_hub):
    operator = live_hub.auth(live_hub.token("operator"))
    csv_text = "case_ref,payer_name,amount\n" + "".join(f"CASE-{n},Payer {n},12.50\n" for n in range(ROWS))
    finished: dict[str, float] = {}

    def import_rows() -> None:
        with httpx.Client(base_url=live_hub.url, timeout=300) as client:
            response = client.post("/api/v1/orders/import", content=csv_text.encode(),
                                   headers=operator | {"Content-Type": "text/csv"})
        finished["import"] = time.monotonic()
        finished["status"] = response.status_code

    importer = threading.Thread(target=import_rows)
    started = time.monotonic()
    importer.start()
    answered = []
    # Ask over and over while the import runs; on a blocked event loop no answer
    # would come back until the import's own answer had.
    with httpx.Client(base_url=live_hub.url, timeout=300) as client:
        time.sleep(0.3)                     # the CSV (~150 kB) is uploaded by then
        while importer.is_alive() and len(answered) < 5:
            asked = time.monotonic()
            response = client.get("/api/v1/keys")
            assert response.status_code == 200
            answered.append((asked, time.monotonic()))
    importer.join(300)

    assert finished["status"] == 201
    import_s = finished["import"] - started
    assert import_s > 1.0, f"the import took only {import_s:.2f} s: too short to show anything"
    during = [(asked, done) for asked, done in answered if done < finished["import"]]
    assert during, f"no request was answered during the {import_s:.1f} s import"
    slowest = max(done - asked for asked, done in during)
    print(f"import of {ROWS} rows: {import_s:.2f} s; {len(during)} GET /keys answered meanwhile, "
          f"slowest {slowest * 1000:.0f} ms")
