"""serve --tls: a self-signed certificate made once next to the database, reused, and trusted
by clients that are given its file or check its fingerprint."""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from sandbox.web.tls import ensure_certificate, paths_for


def test_certificate_is_made_once_and_reused(tmp_path: Path):
    db = str(tmp_path / "s.db")
    first = ensure_certificate(db, "127.0.0.1")
    again = ensure_certificate(db, "127.0.0.1")
    assert first.created and not again.created
    assert first.fingerprint == again.fingerprint
    assert (first.cert, first.key) == paths_for(db)
    assert first.key.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert stat.S_IMODE(os.stat(first.key).st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(first.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert first.fingerprint == cert.fingerprint(cert.signature_hash_algorithm).hex(":").upper()


def test_certificate_is_renewed_for_a_new_host_or_near_expiry(tmp_path: Path):
    db = str(tmp_path / "s.db")
    first = ensure_certificate(db, "127.0.0.1")
    other_host = ensure_certificate(db, "192.0.2.10")
    assert other_host.created and other_host.fingerprint != first.fingerprint
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=900)
    assert ensure_certificate(db, "192.0.2.10", now=later).created


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """``serve --tls`` in a child process: (url, certificate file, printed fingerprint)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--workers", "1", "--tls",
         "--db", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        start_new_session=True)
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("Press Ctrl-C"):
                break
        url = lines[0].rsplit(" ", 1)[1]
        cert = Path(next(x for x in lines if x.startswith("TLS")).rsplit(" ", 1)[1])
        fingerprint = next(x for x in lines if x.startswith("SHA-256")).split(" ", 1)[1]
        yield url, cert, fingerprint
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: the server stops its workers
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        process.stdout.close()


@pytest.mark.slow
def test_serve_tls_answers_https_with_the_printed_certificate(tls_server):
    url, cert, fingerprint = tls_server
    assert url.startswith("https://127.0.0.1:")
    trusted = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=trusted, timeout=5) as client:
        deadline = time.monotonic() + 20
        while True:  # the server announces itself as its workers start
            try:
                answer = client.get(f"{url}/api/health")
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 200
        assert client.get(f"{url}/pb/tls?click_id=a").status_code == 200
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}/api/health")  # not trusted without the certificate
    host, port = url.removeprefix("https://").split(":")
    served = ssl.get_server_certificate((host, int(port)))
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(served)).hexdigest()
    assert fingerprint == ":".join(digest[i:i + 2] for i in range(0, 64, 2)).upper()
