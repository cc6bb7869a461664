"""A real SMTP server on loopback for the send tests (aiosmtpd), with optional TLS and AUTH."""

from __future__ import annotations

import datetime as dt
import ssl
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from distfix import free_port

USER, PASSWORD = "vanthu@kienthuy.edu.vn", "Mk-đúng-123"


class Handler:
    def __init__(self, reject: tuple[str, ...] = ()):
        self.reject = reject
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address in self.reject:
            return "550 5.1.1 Người nhận không tồn tại"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.original_content or envelope.content,
                                                 policy=policy.default)))
        return "250 Message accepted"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode("utf-8") == PASSWORD
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost (cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "cert.pem", folder / "key.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    return crt, pem


class Server:
    """``with Server(mode, ...) as s``: mode is plain | starttls | ssl; ``s.env()`` gives CCHC_SMTP_*."""

    def __init__(self, mode: str = "plain", cert=None, auth: bool = False, reject=()):
        self.mode, self.cert, self.auth = mode, cert, auth
        self.handler = Handler(reject)
        self.port = free_port()
        kw = {}
        if mode in ("starttls", "ssl"):
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*cert)
            kw["tls_context" if mode == "starttls" else "ssl_context"] = ctx
            if mode == "starttls":
                kw["require_starttls"] = True
        if auth:
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; implicit SSL is encrypted anyway
            kw.update(authenticator=_auth, auth_require_tls=(mode == "starttls"))
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kw)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages

    def env(self, **extra) -> dict[str, str]:
        e = {"CCHC_SMTP_HOST": "127.0.0.1", "CCHC_SMTP_PORT": str(self.port),
             "CCHC_SMTP_SECURITY": {"plain": "Không", "starttls": "STARTTLS", "ssl": "SSL"}[self.mode],
             "CCHC_SMTP_FROM": USER, "CCHC_SMTP_TO": "phongcchc@haiphong.edu.vn"}
        if self.cert:
            e["CCHC_SMTP_CAFILE"] = str(self.cert[0])
        if self.auth:
            e.update(CCHC_SMTP_USER=USER, CCHC_SMTP_PASSWORD=PASSWORD)
        e.update(extra)
        return e
