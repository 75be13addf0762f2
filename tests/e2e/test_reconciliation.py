"""Reconciliation end to end: real files through `counterpay hub reconcile`, a real `hub serve`
delivering to the real case-system simulator.

Orders are created through the hub's API; the bank statement that pays a pagoPA reporting
flow arrives before the flow (waiting), then the flow (matched, its payments linked to the
orders, the case system told once each); a second flow whose total is not its line's amount
is an anomaly; the same files imported again change nothing.  The statement is written as
camt.053, as MT940 and as CSV: the three give the same report.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from hub.cli import hub as hub_commands

from tests.support.broker import free_port, wait_for_port
from tests.support.case_system import CaseSystemSim
from tests.support.waiting import never_within, wait_until

COUNTERPAY = [sys.executable, "-m", "counterpay"]
CREDITOR = "00488410010"
OFFICE = "ROMA-1"
IBAN = "IT60X0542811101000000123456"
PSP = "SELBIT2B"
FLOW_PAID = "2026-11-20SELBIT2B-S000000101"
FLOW_SHORT = "2026-11-20SELBIT2B-S000000102"
pytestmark = pytest.mark.xdist_group("reconcile-e2e")


def counterpay(*args: str, check: bool = True):
    """`counterpay hub ARGS`, run in this process (the real command, without an interpreter's start-up)."""
    assert args[0] == "hub"
    done = CliRunner().invoke(hub_commands, list(args[1:]), catch_exceptions=False)
    if check:
        assert done.exit_code == 0, done.output
    return done


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = CaseSystemSim(tmp_path_factory.mktemp("casesim")).start()
    yield process
    process.stop()


class Hub:
    """`hub serve` without MQTT ingest: the API and the webhook delivery worker."""

    def __init__(self, directory: Path):
        self.directory = directory
        init = counterpay("hub", "init", "--dir", str(directory))
        self.token = re.search(r"token \(shown only now.*\): (\S+)", init.output).group(1)
        self.port = free_port()
        self.config = directory / "hub.toml"
        text = self.config.read_text()
        text = re.sub(r"(?m)^port = 8080$", f"port = {self.port}", text)
        text = re.sub(r'(?m)^creditor_fiscal_code = ""', f'creditor_fiscal_code = "{CREDITOR}"', text)
        self.config.write_text(text)
        self.log = directory / "serve.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([*COUNTERPAY, "hub", "serve", "--config", str(self.config), "--no-ingest"],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, 30)
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1",
                                headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def reconcile(self, *args: str, check: bool = True):
        return counterpay("hub", "reconcile", args[0], "--config", str(self.config), *args[1:], check=check)

    def stop(self) -> None:
        self.api.close()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


def order(hub: Hub, case_ref: str, amount_minor: int) -> str:
    answer = hub.api.post("/orders", json={"amount_minor": amount_minor, "reference_format": "pagopa",
                                           "case_ref": case_ref, "office": OFFICE, "account": IBAN,
                                           "payer": {"name": "Mario Rossi", "id": "RSSMRA80A01H501U"}})
    assert answer.status_code == 201, answer.text
    return answer.json()["iuv"]


def flow_xml(flow_id: str, payments: list[tuple[str, int]], total_minor: int) -> str:
    singles = "".join(f"""
  <datiSingoliPagamenti>
    <identificativoUnivocoVersamento>{iuv}</identificativoUnivocoVersamento>
    <identificativoUnivocoRiscossione>IUR{n}{flow_id[-3:]}</identificativoUnivocoRiscossione>
    <indiceDatiSingoloPagamento>1</indiceDatiSingoloPagamento>
    <singoloImportoPagato>{amount // 100}.{amount % 100:02d}</singoloImportoPagato>
    <codiceEsitoSingoloPagamento>0</codiceEsitoSingoloPagamento>
    <dataEsitoSingoloPagamento>2026-11-19</dataEsitoSingoloPagamento>
  </datiSingoliPagamenti>""" for n, (iuv, amount) in enumerate(payments, 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<pay_i:FlussoRiversamento xmlns:pay_i="http://www.digitpa.gov.it/schemas/2011/Pagamenti/">
  <pay_i:versioneOggetto>1.0</pay_i:versioneOggetto>
  <pay_i:identificativoFlusso>{flow_id}</pay_i:identificativoFlusso>
  <pay_i:dataOraFlusso>2026-11-22T08:00:00</pay_i:dataOraFlusso>
  <pay_i:identificativoUnivocoRegolamento>TRN-{flow_id[-3:]}</pay_i:identificativoUnivocoRegolamento>
  <pay_i:dataRegolamento>2026-11-20</pay_i:dataRegolamento>
  <pay_i:istitutoMittente>
    <pay_i:identificativoUnivocoMittente><pay_i:tipoIdentificativoUnivoco>B</pay_i:tipoIdentificativoUnivoco>
      <pay_i:codiceIdentificativoUnivoco>{PSP}</pay_i:codiceIdentificativoUnivoco></pay_i:identificativoUnivocoMittente>
    <pay_i:denominazioneMittente>Banca Sella</pay_i:denominazioneMittente>
  </pay_i:istitutoMittente>
  <pay_i:istitutoRicevente>
    <pay_i:identificativoUnivocoRicevente><pay_i:tipoIdentificativoUnivoco>G</pay_i:tipoIdentificativoUnivoco>
      <pay_i:codiceIdentificativoUnivoco>{CREDITOR}</pay_i:codiceIdentificativoUnivoco></pay_i:identificativoUnivocoRicevente>
    <pay_i:denominazioneRicevente>Comune di Roma</pay_i:denominazioneRicevente>
  </pay_i:istitutoRicevente>
  <pay_i:numeroTotalePagamenti>{len(payments)}</pay_i:numeroTotalePagamenti>
  <pay_i:importoTotalePagamenti>{total_minor // 100}.{total_minor % 100:02d}</pay_i:importoTotalePagamenti>
  {singles.replace("<", "<pay_i:").replace("<pay_i:/", "</pay_i:")}
</pay_i:FlussoRiversamento>
"""


# The statement: the transfer of flow 101 (41.00), the one of flow 102 (9.00 where the flow
# says 10.00), and a debit that is not ours; as each bank format writes it.
LINES = [("BK-1", 4100, "C", "/PUR/LGPE-RIVERSAMENTO/URI/" + FLOW_PAID),
         ("BK-2", 900, "C", "RI1/PUR/LGPE-RIVERSAMENTO/URI/" + FLOW_SHORT),
         ("BK-3", 1230, "D", "Commissioni tenuta conto")]


def camt(lines=LINES) -> str:
    entries = "".join(f"""
      <Ntry><Amt Ccy="EUR">{amount // 100}.{amount % 100:02d}</Amt>
        <CdtDbtInd>{"CRDT" if way == "C" else "DBIT"}</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-20</Dt></BookgDt><ValDt><Dt>2026-11-20</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/>
        <NtryDtls><TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
                      for ref, amount, way, text in lines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
  <GrpHdr><MsgId>M-1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>S-2026-11-20</Id><CreDtTm>2026-11-21T06:00:00</CreDtTm>
    <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>{entries}
  </Stmt></BkToCstmrStmt></Document>
"""


def mt940(lines=LINES) -> str:
    opening = 100000
    closing = opening + sum(a if w == "C" else -a for _, a, w, _ in lines)
    body = "".join(f":61:2611201120{way}{amount // 100},{amount % 100:02d}NTRFNONREF//{ref}\n:86:{text}\n"
                   for ref, amount, way, text in lines)
    return (f":20:S-2026-11-20\n:25:{IBAN}\n:28C:1/1\n:60F:C261119EUR{opening // 100},{opening % 100:02d}\n"
            f"{body}:62F:C261120EUR{closing // 100},{closing % 100:02d}\n-\n")


def csv(lines=LINES) -> str:
    rows = "".join(f"20/11/2026;{'-' if way == 'D' else ''}{amount // 100},{amount % 100:02d};{text};{ref}\n"
                   for ref, amount, way, text in lines)
    return "Data;Importo;Causale;Riferimento\n" + rows


STATEMENTS = {"camt": ("statement.xml", camt, []),
              "mt940": ("statement.sta", mt940, []),
              "csv": ("statement.csv", csv, ["--account", IBAN, "--columns",
                                             "date=Data,amount=Importo,description=Causale,reference=Riferimento"])}


def report(hub: Hub) -> dict:
    return json.loads(hub.reconcile("report", "--json").output)


def outcome(found: dict) -> dict:
    """What must not depend on the statement's format: every item's verdict and what it names."""
    return {"lines": sorted(((l["status"], l["reason"], l["kind"], l["flow_id"], l["amount_minor"])
                             for l in found["lines"]), key=str),
            "flows": sorted((f["status"], f["reason"]) for f in found["flows"]),
            "payments": sorted((p["status"], p["reason"]) for p in found["payments"])}


# Whichever format the statement came in.  The short flow's line is an anomaly (the bank
# moved 9.00 for a flow of 10.00: finance must look), while the flow's own payment is
# matched to its order: the PSP reports the citizen paid, so the case system is told.
EXPECTED = {"lines": [("anomaly", "amount_differs", "pagopa-flow", FLOW_SHORT, 900),
                      ("ignored", "debit", "none", None, 1230),
                      ("matched", "pays_flow", "pagopa-flow", FLOW_PAID, 4100)],
            "flows": [("anomaly", "amount_differs"), ("matched", "paid_by_line")],
            "payments": [("matched", "pays_order")] * 3}


@pytest.mark.parametrize("fmt", list(STATEMENTS))
def test_a_statement_before_its_flow_waits_then_matches_and_the_case_system_hears_once(tmp_path, sim, fmt):
    hub = Hub(tmp_path / "hub")
    try:
        made = hub.api.post("/case-systems", json={
            "name": "tributi", "patterns": [{"on": "case_ref", "regex": f"TARI-{fmt}-.*"}],
            "webhook_url": sim.webhook_url, "secret": sim.secrets[0], "internal": True})
        assert made.status_code == 201, made.text
        counterpay("hub", "account", "add", "--config", str(hub.config), "--office", OFFICE, "--iban", IBAN,
                   "--holder", "Comune di Roma")
        iuv1, iuv2 = order(hub, f"TARI-{fmt}-1", 1600), order(hub, f"TARI-{fmt}-2", 2500)
        iuv3 = order(hub, f"TARI-{fmt}-3", 1000)

        name, write, options = STATEMENTS[fmt]
        (tmp_path / name).write_text(write(), encoding="utf-8")
        first = json.loads(hub.reconcile("import", str(tmp_path / name), *options, "--json").output)
        assert first["added"] == 3
        waiting = report(hub)
        assert sorted((l["status"], l["reason"]) for l in waiting["lines"]) == [
            ("ignored", "debit"), ("waiting", "flow_not_arrived"), ("waiting", "flow_not_arrived")]

        (tmp_path / "flow101.xml").write_text(flow_xml(FLOW_PAID, [(iuv1, 1600), (iuv2, 2500)], 4100), "utf-8")
        (tmp_path / "flow102.xml").write_text(flow_xml(FLOW_SHORT, [(iuv3, 1000)], 1000), "utf-8")
        for flow in ("flow101.xml", "flow102.xml"):
            hub.reconcile("import", str(tmp_path / flow), "--office", OFFICE, "--json")
        found = report(hub)
        by_flow = {l["flow_id"]: l for l in found["lines"] if l["flow_id"]}
        assert (by_flow[FLOW_PAID]["status"], by_flow[FLOW_PAID]["reason"]) == ("matched", "pays_flow")
        assert (by_flow[FLOW_SHORT]["status"], by_flow[FLOW_SHORT]["reason"]) == ("anomaly", "amount_differs")
        for iuv, amount in ((iuv1, 1600), (iuv2, 2500)):
            [paid] = hub.api.get("/orders", params={"q": iuv}).json()
            assert (paid["status"], paid["paid_minor"]) == ("paid", amount), paid

        def told() -> list[dict]:
            return [r for r in sim.accepted() if r["body"]["data"]["link"]["case_ref"].startswith(f"TARI-{fmt}-")]
        wait_until(lambda: len(told()) >= 3, timeout_s=30, what="the case system told of the three flow payments")
        assert sorted(r["body"]["data"]["link"]["case_ref"] for r in told()) == [f"TARI-{fmt}-{n}" for n in (1, 2, 3)]
        assert all(r["verified"] and r["body"]["data"]["payment"]["channel"] == "pagopa" for r in told())

        # The same files again: refused as already imported, and nothing changes anywhere.
        for again in ((tmp_path / name, *options), (tmp_path / "flow101.xml", "--office", OFFICE),
                      (tmp_path / "flow102.xml", "--office", OFFICE)):
            done = hub.reconcile("import", str(again[0]), *again[1:])
            assert "already imported" in done.output
        assert json.loads(hub.reconcile("run", "--json").output)["changed"] == 0
        assert report(hub) == found
        never_within(lambda: len(told()) > 3, within_s=3, what="a second confirmation of a payment")
        assert outcome(found) == EXPECTED
    finally:
        hub.stop()

