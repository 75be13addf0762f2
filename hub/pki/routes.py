"""Enrollment API: agents enroll with a one-time token; operators manage tokens and revoke agents.

    POST /api/v1/enroll                              no API token: the enrollment token is the credential
    POST /api/v1/enrollment-tokens                   admin, operator: create (token shown once)
    GET  /api/v1/enrollment-tokens                   admin, operator, auditor
    POST /api/v1/enrollment-tokens/{id}/revoke       admin, operator
    POST /api/v1/agents/{agent_id}/revoke            admin: CRL + key marked revoked, broker reloaded, the
                                                     agent's open connection cut, directory republished
    GET  /api/v1/keys                                anyone: the key directory (public keys only)

No SQL here: the work is in enrollment.py, revocation.py and keydir.py.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from hub.activation import feed as card_feed
from hub.api.deps import Db, caller, require_role
from hub.api.schemas.enrollment import (AgentRevoked, Enrolled, EnrollBody, EnrollmentToken, EnrollmentTokenCreated,
                                        KeyDirectory, RevokeBody, TokenBody)
from hub.api.security import create_token as create_api_token
from hub.config import Settings
from hub.ingest.fleet import sees_agent
from hub.pki import keydir
from hub.pki.broker_config import BrokerPaths
from hub.pki.ca import CertificateAuthority, PkiPaths
from hub.pki.enrollment import EnrollmentRequest, create_token, enroll, list_tokens, revoke_token
from hub.pki.revocation import agent_token_name, cut_connection, reload_broker, revoke_agent
from hub.store.db import Database
from protocol.keys import KeyDirectory as Directory

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["enrollment"])
_ca_lock = threading.Lock()
Operator = caller("operator", permission="enrollment.manage")
Revoker = caller(permission="agents.revoke")


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        raise HTTPException(503, "the hub has no configuration loaded")
    return settings


def _ca(request: Request) -> CertificateAuthority:
    with _ca_lock:
        ca = getattr(request.app.state, "pki_ca", None)
        if ca is None:
            try:
                ca = CertificateAuthority.load(PkiPaths.under(_settings(request).data_dir))
            except FileNotFoundError as exc:
                raise HTTPException(503, str(exc)) from None
            request.app.state.pki_ca = ca
        return ca


def _directory(request: Request, conn) -> Directory:
    hub = getattr(request.app.state, "hub", None)
    return hub.load_directory(conn) if hub is not None else keydir.load_directory(conn)


def _publish_directory(request: Request, db: Database) -> None:
    """After a committed change: refresh the hub's cached directory and publish it retained."""
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        log.warning("key directory changed but the hub has no publisher: agents see it on next publish")
        return
    try:
        hub.key_directory(refresh=True)
        with db.connect() as conn:
            hub.publish(keydir.KEYS, keydir.directory_payload(hub.load_directory(conn)), True)
    except Exception:   # the change is committed; a failed publish is repeated at the next change or start
        log.exception("publishing the key directory failed")


@router.post("/enroll", status_code=201, response_model=Enrolled,
             summary="Enroll an agent: CSR + token → client certificate")
def post_enroll(body: EnrollBody, request: Request, db: Db) -> dict[str, Any]:
    ca = _ca(request)
    broker = _settings(request).broker
    with db.begin() as conn:
        result = enroll(conn, ca, EnrollmentRequest(body.token, body.agent_id, body.csr_pem,
                                                    body.signing_public_key))
        # The agent's own API credential: role 'agent' may only look cases up for its clerk.
        api_token, _ = create_api_token(conn, agent_token_name(result.agent_id), "agent",
                                        f"enrollment:{result.agent_id}")
    _publish_directory(request, db)
    # A new desk's office may never have been told where it takes cards: tell it now (retained).
    card_feed.publish_for(db, request.app.state.hub, result.office)
    with db.connect() as conn:
        directory = _directory(request, conn).to_json()
    return {"agent_id": result.agent_id, "office": result.office, "certificate_pem": result.certificate_pem,
            "ca_pem": ca.ca_pem.decode("ascii"), "key_directory": directory,
            "broker": {"host": broker.host, "port": broker.port}, "kid": result.kid, "api_token": api_token}


@router.post("/enrollment-tokens", status_code=201, response_model=EnrollmentTokenCreated,
             summary="Create a one-time enrollment token")
def post_token(body: TokenBody, db: Db, principal: Operator) -> dict[str, Any]:
    with db.begin() as conn:
        token, info = create_token(conn, body.office, principal.actor, hours=body.expires_in_hours,
                                   agent_id=body.agent_id, note=body.note)
    return {"token": token, **info}


@router.get("/enrollment-tokens", response_model=list[EnrollmentToken],
            dependencies=[Depends(require_role("operator", "auditor", permission="enrollment.manage"))],
            summary="List enrollment tokens (never the tokens themselves)")
def get_tokens(db: Db, office: str | None = None) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return list_tokens(conn, office=office)


@router.post("/enrollment-tokens/{token_id}/revoke", response_model=EnrollmentToken,
             summary="Revoke an unused enrollment token")
def post_token_revoke(token_id: int, db: Db, principal: Operator) -> dict[str, Any]:
    with db.begin() as conn:
        return revoke_token(conn, token_id, principal.actor)


def revoke_everywhere(request: Request, db: Database, agent_id: str, reason: str, actor: str) -> dict[str, Any]:
    """Revoke `agent_id` and make it stick at once: the API's and the console's one way to do it."""
    ca, settings = _ca(request), _settings(request)
    with db.begin() as conn:
        result = revoke_agent(conn, ca, agent_id, reason, actor)
    result["broker_reloaded"] = reload_broker(BrokerPaths.under(settings.data_dir).pid)
    # After the commit and the reload, so the cut agent's reconnect meets the new CRL.
    result["connection_cut"] = (cut_connection(ca, agent_id, settings.mqtt.host, settings.mqtt.port)
                                if settings.mqtt.tls else False)
    _publish_directory(request, db)
    return result


@router.post("/agents/{agent_id}/revoke", response_model=AgentRevoked,
             summary="Revoke an agent: CRL, key directory, broker reload, open connection cut")
def post_agent_revoke(agent_id: str, body: RevokeBody, request: Request, db: Db, principal: Revoker) -> dict[str, Any]:
    with db.connect() as conn:
        if not sees_agent(conn, principal.scope, agent_id):
            raise HTTPException(404, f"no agent {agent_id} has been heard of")
    return revoke_everywhere(request, db, agent_id, body.reason, principal.actor)


@router.get("/keys", response_model=KeyDirectory,
            summary="The key directory: public keys of the hub and every enrolled agent")
def get_keys(request: Request, db: Db) -> dict[str, Any]:
    with db.connect() as conn:
        return _directory(request, conn).to_json()
