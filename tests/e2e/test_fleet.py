"""`counterpay sim fleet` against a real site: enrolled simulated agents, every payment acked,
stored once at the hub and confirmed once to the case system."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

from counterpay.site import Site, SitePlan
from counterpay.site_process import counterpay_command
from tests.support.waiting import wait_until


def test_fleet_agents_enroll_send_and_every_payment_is_stored_and_delivered_once(tmp_path):
    site = Site(tmp_path / "site", SitePlan(printer=False))
    try:
        site.start()
        sent_log = tmp_path / "sent.jsonl"
        run = subprocess.run(counterpay_command(
            "sim", "fleet", "--hub", site.api_url, "--admin-token", site.admin_token, "--agents", "8",
            "--rate", "40", "--duration", "2", "--dir", str(tmp_path / "fleet"), "--case-prefix", "DEMO-FLEET",
            "--sent-log", str(sent_log), "--json"), capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout)
        assert summary["connected"] == 8 and summary["sent"] >= 60
        assert summary["acked"] == summary["sent"] and summary["unacked"] == 0 and summary["rejected"] == 0
        sent = [json.loads(line)["event_id"] for line in sent_log.read_text().splitlines()]
        assert len(sent) == summary["sent"] == len(set(sent))

        fleet_payments = [p for p in site.hub_payments() if str(p.get("agent_id", "")).startswith("fleet-")]
        assert len(fleet_payments) == len(sent)

        def accepted() -> list[dict]:
            return [r for r in site.case_record()
                    if r.get("verified") and 200 <= (r.get("answered") or 0) < 300 and r["event_id"] in set(sent)]
        wait_until(lambda: len({r["event_id"] for r in accepted()}) == len(sent), 60,
                   f"all {len(sent)} fleet payments accepted by the case system", poll_s=0.5,
                   detail=lambda: f"accepted so far: {len({r['event_id'] for r in accepted()})}")
        per_event = Counter(r["event_id"] for r in accepted())
        assert set(per_event) == set(sent), "every fleet payment reaches the case system"
        assert max(per_event.values()) == 1, "no confirmation is accepted twice"
    finally:
        leftovers = site.stop()
    assert leftovers == []
