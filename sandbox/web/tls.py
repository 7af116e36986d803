"""``serve --tls``: a self-signed certificate for 127.0.0.1 and localhost (plus the bound
host), generated once with ``cryptography`` and kept next to the database, so a device or
client trusts it once and keeps trusting it.

The key is written as unencrypted PKCS#8 PEM (what granian's ``ssl_key`` takes) with mode
0600. A certificate that expires within a week, or does not name the host, is replaced.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sandbox.db_url import is_postgres
from sandbox.errors import ConfigError

VALID_DAYS = 825  # the longest lifetime Apple platforms accept for a TLS server certificate
RENEW_BEFORE = datetime.timedelta(days=7)
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Certificate:
    cert: Path  # the file to trust (PEM)
    key: Path
    fingerprint: str  # SHA-256, colon-separated upper-case hex
    created: bool  # generated now (False: reused)


def paths_for(db: str) -> tuple[Path, Path]:
    """Beside the database file; for a database that is not a file (in memory, on a
    PostgreSQL server), in the working folder."""
    on_disk = db != ":memory:" and not is_postgres(db)
    base = Path(db).resolve() if on_disk else Path.cwd() / "postback-sandbox"
    return base.with_name(base.name + ".cert.pem"), base.with_name(base.name + ".key.pem")


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def _names(host: str) -> list[str]:
    extra = host.strip("[]")
    return list(LOCAL_NAMES) + ([extra] if extra and extra not in LOCAL_NAMES
                                and extra not in ("0.0.0.0", "::") else [])


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _usable(cert_file: Path, names: list[str], now: datetime.datetime) -> x509.Certificate | None:
    try:
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    if certificate.not_valid_after_utc - RENEW_BEFORE < now:
        return None
    if not all(_general_name(n) in san.value for n in names):
        return None
    return certificate


def generate(names: list[str], now: datetime.datetime) -> tuple[bytes, bytes]:
    """(certificate PEM, PKCS#8 key PEM) for a self-signed P-256 server certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "postback-sandbox (local)"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "postback-sandbox")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=False,
            content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def ensure_certificate(db: str, host: str, *, now: datetime.datetime | None = None
                       ) -> Certificate:
    """The certificate next to the database: reused when still good, else made anew."""
    moment = now or datetime.datetime.now(datetime.UTC)
    cert_file, key_file = paths_for(db)
    names = _names(host)
    existing = _usable(cert_file, names, moment) if key_file.is_file() else None
    if existing is not None:
        return Certificate(cert_file, key_file, fingerprint(existing), created=False)
    cert_pem, key_pem = generate(names, moment)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key_pem)
        cert_file.write_bytes(cert_pem)
    except OSError as exc:
        raise ConfigError(f"cannot write the TLS certificate next to {db}: {exc}") from None
    certificate = x509.load_pem_x509_certificate(cert_pem)
    return Certificate(cert_file, key_file, fingerprint(certificate), created=True)
