"""A throwaway certificate authority and server certificate for the emulator's HTTPS mode.

Imported only when TLS is asked for, so the plain emulator does not need ``cryptography``.
The CA's private key lives only in memory and is gone once the server certificate is signed;
clients trust the emulator through the CA bundle file alone.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=30)
# Room for a client whose clock runs a little behind.
_BACKDATE = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class TlsSetup:
    """A server-side TLS context, the CA bundle that verifies it, and a directory to remove."""

    context: ssl.SSLContext
    ca_bundle: str
    workdir: str


def _key_usage(*, issues_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=issues_certificates,
        crl_sign=issues_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def make_tls(ca_path: str | None = None) -> TlsSetup:
    """Create a CA and a certificate for 127.0.0.1, ::1 and localhost.

    The CA certificate is written to ``ca_path`` when given, else into a new private
    temporary directory (``TlsSetup.workdir``, which the caller removes when done).
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "logto-connector-tencent-sms"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tencent SMS emulator throwaway CA"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(issues_certificates=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(issues_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    workdir = tempfile.mkdtemp(prefix="tencent-sms-emulator-")
    try:
        ca_bundle = ca_path or os.path.join(workdir, "ca.pem")
        Path(ca_bundle).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # ssl loads a key only from a file: write it to the private directory (mkdtemp makes it
        # 0700), load it, and delete it at once.
        chain = os.path.join(workdir, "server.pem")
        fd = os.open(chain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(
                server_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            out.write(server_cert.public_bytes(serialization.Encoding.PEM))
        try:
            context.load_cert_chain(chain)
        finally:
            os.unlink(chain)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)  # e.g. an unwritable ca_path
        raise
    return TlsSetup(context, ca_bundle, workdir)
