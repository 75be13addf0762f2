"""`counterpay hub reconcile`: run, report and resolve on a hub's database; import of real files.

The file imports go through the real parsers (hub/finance/formats/), protocol/remittance.py
and the bank accounts (hub/finance/accounts.py).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.audit.log import entries
from hub.cli import hub
from hub.finance.reconcile import matching
from tests.finance.reconcile_support import (IBAN, OFFICE, add_order, flow, flow_payment, import_flow,
                                             import_statement, line, statement)

FLOW_ID = "2026-11-20SELBIT2B-S000000042"
IUV1 = "03000000000000001"


@pytest.fixture
def config(hub_db, tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text(f'[database]\nurl = "{hub_db.url}"\n', encoding="utf-8")
    return ["--config", str(path)]


def _invoke(*args):
    return CliRunner().invoke(hub, ["reconcile", *args], catch_exceptions=False)


def test_report_gives_every_item_with_status_reason_and_what_the_line_names(hub_db, config):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_statement(conn, statement(line(1, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}"),
                                         line(2, 900, "/PUR/LGPE-RIVERSAMENTO/URI/2")))
        import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV1, 1600)))
    ran = _invoke("run", *config, "--json")
    assert ran.exit_code == 0
    assert json.loads(ran.output)["lines"] == {"matched": 1, "anomaly": 1}
    found = json.loads(_invoke("report", *config, "--json").output)
    assert set(found) == {"lines", "flows", "payments"}
    first = found["lines"][0]
    assert {k: first[k] for k in ("status", "reason", "kind", "flow_id", "iuv", "reference", "amount_minor")} == {
        "status": "matched", "reason": "pays_flow", "kind": "pagopa-flow", "flow_id": FLOW_ID, "iuv": None,
        "reference": None, "amount_minor": 1600}
    assert [(f["status"], f["reason"]) for f in found["flows"]] == [("matched", "paid_by_line")]
    assert [(p["status"], p["order_id"]) for p in found["payments"]] == [("matched", "CP1")]
    anomalies = json.loads(_invoke("report", *config, "--status", "anomaly", "--json").output)
    assert [(x["reason"], x["amount_minor"]) for x in anomalies["lines"]] == [("truncated_id", 900)]
    assert anomalies["flows"] == [] and anomalies["payments"] == []
    assert "line 2\tanomaly\ttruncated_id" in _invoke("report", *config).output
    assert _invoke("report", *config, "--status", "lost").exit_code == 2


def test_resolve_settles_an_anomaly_with_a_note_in_the_audit_log_and_a_run_leaves_it(hub_db, config):
    with hub_db.begin() as conn:
        import_statement(conn, statement(line(1, 900, "/PUR/LGPE-RIVERSAMENTO/URI/2")))
        matching.run(conn)
        from hub.store.tables_reconcile import statement_lines
        line_id = conn.execute(select(statement_lines.c.id)).scalar_one()
    done = _invoke("resolve", *config, "--line", str(line_id), "--note", "flow 2026-11-20… booked by hand", "--json")
    assert done.exit_code == 0, done.output
    item = json.loads(done.output)
    assert (item["status"], item["reason"], item["resolution"]["note"]) == ("ignored", "resolved",
                                                                            "flow 2026-11-20… booked by hand")
    with hub_db.connect() as conn:
        [audited] = entries(conn, subject=f"reconcile-line:{line_id}")
    assert audited["action"] == "reconcile.resolve" and audited["details"]["previous_reason"] == "truncated_id"
    assert audited["actor"].startswith("cli:")
    assert json.loads(_invoke("run", *config, "--json").output)["changed"] == 0
    again = _invoke("resolve", *config, "--line", str(line_id), "--note", "again")
    assert again.exit_code == 1 and "not an anomaly" in again.output
    assert _invoke("resolve", *config, "--line", "999", "--note", "x").exit_code == 1
    assert _invoke("resolve", *config, "--line", "1", "--flow", "1", "--note", "x").exit_code == 2
    assert _invoke("resolve", *config, "--line", str(line_id), "--note", " ").exit_code == 2


FLOW_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<FlussoRiversamento xmlns="http://www.digitpa.gov.it/schemas/2011/Pagamenti/">
  <versioneOggetto>1.0</versioneOggetto>
  <identificativoFlusso>{FLOW_ID}</identificativoFlusso>
  <dataOraFlusso>2026-11-22T08:00:00</dataOraFlusso>
  <identificativoUnivocoRegolamento>TRN-0001</identificativoUnivocoRegolamento>
  <dataRegolamento>2026-11-20</dataRegolamento>
  <istitutoMittente>
    <identificativoUnivocoMittente><tipoIdentificativoUnivoco>B</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>SELBIT2B</codiceIdentificativoUnivoco></identificativoUnivocoMittente>
    <denominazioneMittente>A PSP</denominazioneMittente>
  </istitutoMittente>
  <istitutoRicevente>
    <identificativoUnivocoRicevente><tipoIdentificativoUnivoco>G</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>00311260095</codiceIdentificativoUnivoco></identificativoUnivocoRicevente>
    <denominazioneRicevente>Comune</denominazioneRicevente>
  </istitutoRicevente>
  <numeroTotalePagamenti>1</numeroTotalePagamenti>
  <importoTotalePagamenti>16.00</importoTotalePagamenti>
  <datiSingoliPagamenti>
    <identificativoUnivocoVersamento>{IUV1}</identificativoUnivocoVersamento>
    <identificativoUnivocoRiscossione>IUR-1</identificativoUnivocoRiscossione>
    <indiceDatiSingoloPagamento>1</indiceDatiSingoloPagamento>
    <singoloImportoPagato>16.00</singoloImportoPagato>
    <codiceEsitoSingoloPagamento>0</codiceEsitoSingoloPagamento>
    <dataEsitoSingoloPagamento>2026-11-19</dataEsitoSingoloPagamento>
  </datiSingoliPagamenti>
</FlussoRiversamento>
"""

CAMT_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2026-11-20</Id>
      <CreDtTm>2026-11-21T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">16.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-20</Dt></BookgDt>
        <ValDt><Dt>2026-11-20</Dt></ValDt>
        <AcctSvcrRef>BK-REF-1</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls><TxDtls><RmtInf><Ustrd>/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_importing_a_statement_then_its_flow_through_the_cli_matches_once_and_again_adds_nothing(
        hub_db, config, tmp_path):
    added = CliRunner().invoke(hub, ["account", "add", *config, "--office", OFFICE, "--iban", IBAN])
    assert added.exit_code == 0, added.output
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
    (tmp_path / "stmt.xml").write_text(CAMT_XML, encoding="utf-8")
    (tmp_path / "flow.xml").write_text(FLOW_XML, encoding="utf-8")
    first = json.loads(_invoke("import", *config, str(tmp_path / "stmt.xml"), "--json").output)
    assert first["added"] == 1 and first["run"]["lines"] == {"waiting": 1}
    second = json.loads(_invoke("import", *config, str(tmp_path / "flow.xml"), "--office", OFFICE, "--json").output)
    assert second["run"]["lines"] == {"matched": 1} and second["run"]["payments_made"] == 1
    again = _invoke("import", *config, str(tmp_path / "flow.xml"), "--office", OFFICE)
    assert again.exit_code == 0 and "already imported" in again.output
    (tmp_path / "bad.xml").write_text(CAMT_XML.replace("16.00", "sedici"), encoding="utf-8")
    refused = _invoke("import", *config, str(tmp_path / "bad.xml"))
    assert refused.exit_code == 1 and "refused, nothing imported" in refused.output
    (tmp_path / "flow2.xml").write_text(FLOW_XML.replace("2026-11-22T08:00:00", "2026-11-23T08:00:00"), "utf-8")
    without_office = _invoke("import", *config, str(tmp_path / "flow2.xml"))
    assert without_office.exit_code == 2 and "--office" in without_office.output
