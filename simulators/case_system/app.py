"""The HTTP face of the simulated case system (FastAPI).

    POST /webhook             a confirmation; Standard Webhooks signature checked (401 + reason if bad)
    GET  /cases/{ref}         what a case owes, from the cases file (404 for an unknown case)
    GET  /admin/received      what arrived (?since=N), duplicates flagged
    GET  /admin/state         the current fault mode and counts
    POST /admin/mode          {"mode": "fail"|"slow"|"gone"|"down"|"ok", "status", "delay_s",
                               "for_s", "count", "retry_after"}

Lookups must be signed too when secrets are set: the hub signs them with the same
headers over an empty body, so a stranger cannot read what a case owes.
The admin endpoints are unauthenticated: this is a technician's tool for loopback use.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from protocol import webhooks
from simulators.case_system.cases import Case
from simulators.case_system.faults import FaultRequest, Faults
from simulators.case_system.recorder import Recorder, log_line
from simulators.sim_log import SimLog


@dataclass
class CaseSystemSim:
    secrets: list[str]
    cases: dict[str, Case] = field(default_factory=dict)
    recorder: Recorder = field(default_factory=Recorder)
    faults: Faults = field(default_factory=Faults)
    log: SimLog = field(default_factory=SimLog)
    tolerance_s: float | None = webhooks.DEFAULT_TOLERANCE_S
    paid: dict[str, int] = field(default_factory=dict)


def _failure(status: int, plan: FaultRequest, reason: str) -> Response:
    headers = {"Retry-After": str(plan.retry_after)} if plan.retry_after is not None else {}
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


def create_app(sim: CaseSystemSim) -> FastAPI:
    app = FastAPI(title="counterpay simulated case system", docs_url="/docs")

    async def _slow_or_down(plan: FaultRequest) -> Response | None:
        if plan.mode == "slow":
            await asyncio.sleep(plan.delay_s)
        if plan.mode == "down":
            return _failure(503, plan, "case system down (simulated)")
        return None

    def _check_signature(request: Request, body: bytes) -> tuple[str | None, str | None]:
        """(webhook id, None) when valid, else (id or None, reason)."""
        try:
            return webhooks.verify(sim.secrets, request.headers, body, now=time.time(),
                                   tolerance_s=sim.tolerance_s), None
        except webhooks.WebhookSignatureError as exc:
            return request.headers.get("webhook-id"), f"{exc.reason}: {exc}"

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        body = await request.body()
        plan = sim.faults.current()
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = {"unparsed": body[:500].decode("utf-8", "replace")}
        webhook_id, reason = _check_signature(request, body)
        stamp = request.headers.get("webhook-timestamp")
        if reason:
            record = sim.recorder.record(webhook_id=webhook_id, webhook_timestamp=stamp, verified=False,
                                         reason=reason, answered=401, body=parsed)
            sim.log.received(log_line(record))
            return JSONResponse({"error": "signature rejected", "reason": reason}, status_code=401)
        flight = sim.recorder.begin(webhook_id, parsed)
        answer = await _slow_or_down(plan)
        if answer is None and plan.mode == "fail":
            answer = _failure(plan.status, plan, f"simulated failure {plan.status}")
        if answer is None and plan.mode == "gone":
            answer = _failure(410, plan, "endpoint gone (simulated)")
        if plan.mode != "ok":
            sim.faults.used_by_webhook(plan)
        status = answer.status_code if answer is not None else 204
        record = sim.recorder.record(webhook_id=webhook_id, webhook_timestamp=stamp, verified=True,
                                     reason=None, answered=status, body=parsed, flight=flight)
        if status == 204 and not record["duplicate"] and record["case_ref"] in sim.cases \
                and isinstance(record["amount_minor"], int):
            sim.paid[record["case_ref"]] = sim.paid.get(record["case_ref"], 0) + record["amount_minor"]
        sim.log.received(log_line(record))
        return answer if answer is not None else Response(status_code=204)

    @app.get("/cases/{ref:path}")
    async def lookup(ref: str, request: Request) -> Response:
        if sim.secrets:
            _, reason = _check_signature(request, b"")
            if reason:
                sim.log.note(f"lookup {ref} REJECTED 401 {reason}")
                return JSONResponse({"error": "signature rejected", "reason": reason}, status_code=401)
        answer = await _slow_or_down(sim.faults.current())
        if answer is not None:
            sim.log.note(f"lookup {ref} -> {answer.status_code} ({sim.faults.describe()})")
            return answer
        case = sim.cases.get(ref)
        if case is None:
            sim.log.note(f"lookup {ref} -> 404 unknown case")
            return JSONResponse({"error": "unknown case", "ref": ref}, status_code=404)
        owed = max(0, case.amount_owed_minor - sim.paid.get(ref, 0))
        sim.log.note(f"lookup {ref} -> 200 owes {owed} {case.currency} minor units")
        return JSONResponse({**case.model_dump(), "amount_owed_minor": owed,
                             "paid_minor": sim.paid.get(ref, 0)})

    @app.get("/admin/received")
    async def received(since: int = 0) -> dict:
        return {"received": sim.recorder.since(since)}

    @app.get("/admin/state")
    async def state() -> dict:
        records = sim.recorder.records
        return {"mode": sim.faults.snapshot(), "received": len(records),
                "accepted_ids": len(sim.recorder.accepted),
                "duplicates": sum(1 for r in records if r["duplicate"]),
                "rejected": sum(1 for r in records if not r["verified"]), "cases": len(sim.cases)}

    @app.post("/admin/mode")
    async def set_mode(request: FaultRequest) -> dict:
        sim.faults.set(request)
        sim.log.note(f"mode now: {sim.faults.describe()}")
        return sim.faults.snapshot()

    return app
