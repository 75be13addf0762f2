"""Renewing this desk's broker certificate before it expires, without enrolling again.

Once `RENEW_AT` of the certificate's life has passed, the sync client asks the hub over
its authenticated connection (`certificate.request` on `…/A/events`) with a CSR for a
NEW key, made here and never sent.  The hub's CA answers on `…/A/cmd`.  The new pair is
staged beside the current one and tried: the sync client reconnects with it, and only
once the broker has accepted it are the files swapped; until then, and if it fails, the
current certificate stays in use.

Files in the key directory (0600, written through a temporary file and rename):
    client.key.next, client.pem.next   the staged pair (the key first, the certificate once issued)
    client.key.old,  client.pem.old    the pair before the last swap, kept for the technician
The swap renames the key, then the certificate; `settle()` (run when the identity is
loaded) finishes a swap a crash cut between the two, so client.key and client.pem
always end up a pair.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protocol.keys import SigningKey
from protocol.wire import Envelope, make, new_message_id
from protocol.wire.messages import CertificateRequest, body_of

from agent.identity import CA, NEXT, OLD, TLS_CERT, TLS_KEY, fsync_dir, pair_matches, public_der, write_private
from agent.sync.client import TlsFiles

log = logging.getLogger("counterpay.agent.renewal")

RENEW_AT = 2 / 3
"""Ask when two thirds of the certificate's life have passed: with 825-day certificates
that leaves 275 days for a desk that is offline, or a hub that refuses, to be noticed."""
ASK_AGAIN_S = 600.0
"""No answer (a hub worker down, the answer lost): ask again after this long."""

class RenewalProblem(RuntimeError):
    """The hub's answer cannot be used; the message says why."""


def certificate_life(cert_path: Path) -> tuple[dt.datetime, dt.datetime, str]:
    """(not before, not after, serial in hex) of the certificate at `cert_path`."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return cert.not_valid_before_utc, cert.not_valid_after_utc, format(cert.serial_number, "x")


class CertificateRenewal:
    """When to ask, what to ask, and what to do with the answer; the sync client does the I/O."""

    def __init__(self, key_dir: Path, agent_id: str, signing_key: SigningKey, *, renew_at: float = RENEW_AT,
                 ask_again_s: float = ASK_AGAIN_S, clock: Callable[[], float] = time.time):
        self.key_dir = Path(key_dir)
        self.agent_id, self.signing_key = agent_id, signing_key
        self.renew_at, self.ask_again_s, self.clock = renew_at, ask_again_s, clock
        self.request_id: str | None = None
        self.asked_at: float | None = None
        self.last_error: str | None = None

    # paths -------------------------------------------------------------------------------
    def _path(self, name: str, suffix: str = "") -> Path:
        return self.key_dir / (name + suffix)

    @property
    def current(self) -> TlsFiles:
        return TlsFiles(str(self._path(CA)), str(self._path(TLS_CERT)), str(self._path(TLS_KEY)))

    @property
    def staged(self) -> TlsFiles | None:
        """The issued, not yet tried pair, if there is one."""
        cert, key = self._path(TLS_CERT, NEXT), self._path(TLS_KEY, NEXT)
        if cert.exists() and key.exists() and pair_matches(cert, key):
            return TlsFiles(str(self._path(CA)), str(cert), str(key))
        return None

    # asking ------------------------------------------------------------------------------
    def due(self) -> bool:
        """True when the certificate is old enough and no request is waiting for its answer."""
        if self.staged is not None:
            return False
        if self.asked_at is not None and self.clock() - self.asked_at < self.ask_again_s:
            return False
        try:
            begins, ends, _serial = certificate_life(self._path(TLS_CERT))
        except (OSError, ValueError):
            return False
        life = (ends - begins).total_seconds()
        passed = self.clock() - begins.timestamp()
        return life > 0 and passed >= self.renew_at * life

    def _next_key(self):
        path = self._path(TLS_KEY, NEXT)
        if path.exists():   # asked before and unanswered: the same key, so the hub answers the same
            try:
                return serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError):
                log.warning("the staged key %s is unreadable; making a new one", path)
        key = ec.generate_private_key(ec.SECP256R1())
        write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        return key

    def request(self) -> Envelope:
        """The signed certificate.request to publish on `…/A/events` (not an outbox row: no sequence)."""
        key = self._next_key()
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.agent_id)]))
               .sign(key, hashes.SHA256()))
        _begins, _ends, serial = certificate_life(self._path(TLS_CERT))
        self.request_id = new_message_id()
        self.asked_at = self.clock()
        body = body_of(CertificateRequest(request_id=self.request_id, current_serial=serial,
                                          csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode("ascii")))
        log.info("asking the hub to renew certificate %s", serial)
        return make(self.agent_id, 0, "certificate.request", body, self.signing_key)

    # the answer ----------------------------------------------------------------------------
    def receive(self, body: dict) -> TlsFiles | None:
        """Check the hub's answer and stage the new certificate → the pair to try, or None
        (refused, or unusable: `last_error` says why; a later request asks again)."""
        if body.get("status") != "issued":
            self.last_error = f"the hub refused to renew the certificate: {body.get('reason')}"
        else:
            try:
                return self._stage(body)
            except RenewalProblem as exc:
                self.last_error = str(exc)
        log.warning("%s", self.last_error)
        return None

    def _stage(self, body: dict) -> TlsFiles | None:
        try:
            cert = x509.load_pem_x509_certificate(str(body["certificate_pem"]).encode("ascii"))
            ca = x509.load_pem_x509_certificate(self._path(CA).read_bytes())
            key = serialization.load_pem_private_key(self._path(TLS_KEY, NEXT).read_bytes(), password=None)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise RenewalProblem(f"the renewed certificate cannot be read: {exc}") from None
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names or names[0].value != self.agent_id:
            raise RenewalProblem(f"the renewed certificate is for {names[0].value if names else 'nobody'}, "
                                 f"not for {self.agent_id}")
        if public_der(cert.public_key()) != public_der(key.public_key()):
            raise RenewalProblem("the renewed certificate is not for the key this desk asked with")
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            raise RenewalProblem("the renewed certificate is not signed by the hub's CA in ca.pem") from None
        now = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
        if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
            raise RenewalProblem(f"the renewed certificate is not valid now (from {cert.not_valid_before_utc} "
                                 f"to {cert.not_valid_after_utc})")
        write_private(self._path(TLS_CERT, NEXT), cert.public_bytes(serialization.Encoding.PEM))
        self.last_error = None
        return self.staged

    def commit(self) -> None:
        """The broker accepted the staged pair: keep the old pair as .old, then swap key and certificate."""
        write_private(self._path(TLS_KEY, OLD), self._path(TLS_KEY).read_bytes())
        write_private(self._path(TLS_CERT, OLD), self._path(TLS_CERT).read_bytes())
        os.replace(self._path(TLS_KEY, NEXT), self._path(TLS_KEY))
        os.replace(self._path(TLS_CERT, NEXT), self._path(TLS_CERT))   # settle() finishes this after a crash
        fsync_dir(self.key_dir)
        self.request_id = self.asked_at = None
        _begins, ends, serial = certificate_life(self._path(TLS_CERT))
        log.info("now connected with the renewed certificate %s (valid until %s)", serial, ends.isoformat())

    def abandon(self, why: str) -> None:
        """The staged pair did not work: drop it and keep the current one; ask again later."""
        for name in (TLS_CERT + NEXT, TLS_KEY + NEXT):
            self._path(name).unlink(missing_ok=True)
        self.last_error = f"the renewed certificate was not accepted ({why}); still using the current one"
        log.warning("%s", self.last_error)
