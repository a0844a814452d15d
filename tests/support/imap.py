"""A real IMAP server for the calendar-replies tests: Debian's Dovecot on a loopback port.

``running_dovecot(ssl=...)`` starts ``dovecot -F -c <dir>/dovecot.conf`` as a child process with
a throwaway Maildir and one passwd-file user, waits until it answers, and stops it and deletes
its folder at the end. With ``ssl=True`` it speaks implicit TLS (IMAPS) with a self-signed
certificate for 127.0.0.1 made here with ``cryptography``; ``Dovecot.ca_file`` is that
certificate, for a client to trust.

As root (CI), Dovecot refuses to run its login processes or a mail user as root, so they run
as the package's own ``dovenull`` and ``dovecot`` users and the folder is made traversable for
them; as anyone else every process runs as that user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integrations.test_mailer import free_port

USER = "organizer"
LOOPBACK = ipaddress.ip_address("127.0.0.1")
PASSWORD = "imap-test-password"  # noqa: S105 - a throwaway server's user

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = facilitator-test-{port}
log_path = {root}/dovecot.log
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    ssl: bool
    process: subprocess.Popen[bytes] | None = None

    @property
    def ca_file(self) -> str:
        return str(self.root / "cert.pem")

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The app's ``IMAP_*`` settings for this server."""
        return {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": self.port, "IMAP_SSL": self.ssl,
                "IMAP_USERNAME": USER, "IMAP_PASSWORD": PASSWORD, "IMAP_FOLDER": "INBOX", **extra}

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in connection of the test's own (to put messages in and look at them)."""
        if self.ssl:
            import ssl as ssl_module

            context = ssl_module.create_default_context(cafile=self.ca_file)
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=10)
        else:
            conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        try:
            yield conn
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as conn:
            status, data = conn.append(f'"{folder}"', None, None, raw)
            assert status == "OK", data

    def reset(self) -> None:
        """An empty INBOX and no other folder, for the next test."""
        with self.client() as conn:
            _, listing = conn.list()
            lines = [line.decode() for line in listing if isinstance(line, bytes)]
            names = [line.rsplit(' "/" ', 1)[1].strip('"') for line in lines]
            for name in sorted((n for n in names if n != "INBOX"), key=len, reverse=True):
                conn.delete(f'"{name}"')
            _, count = conn.select("INBOX")
            if count and count[0] != b"0":
                conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                conn.expunge()

    def messages(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID → flags of every message in ``folder`` ({} when the folder does not exist)."""
        with self.client() as conn:
            status, _ = conn.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return {}
            _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        found: dict[int, set[str]] = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            text = line.decode()
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            flags = text.split("FLAGS (")[1].split(")")[0].split()
            found[uid] = set(flags)
        return found

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _users() -> tuple[str, str, str, int, int]:
    """(internal user, its group, login user, mail uid, mail gid) for whoever runs the tests."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
        return "dovecot", "dovecot", "dovenull", internal.pw_uid, internal.pw_gid
    me = pwd.getpwuid(os.getuid()).pw_name
    return me, grp.getgrgid(os.getgid()).gr_name, me, os.getuid(), os.getgid()


def _certificate(root: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (root / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _write_config(server: Dovecot) -> Path:
    root = server.root
    internal, group, login, uid, gid = _users()
    mail = root / "mail"
    mail.mkdir()
    os.chown(mail, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}/{USER}::\n")
    if server.ssl:
        _certificate(root)
        ssl_settings = f"ssl = required\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
        plain_port, ssl_port = 0, server.port
    else:
        ssl_settings, plain_port, ssl_port = "ssl = no", server.port, 0
    path = root / "dovecot.conf"
    path.write_text(CONFIG.format(
        root=root, port=server.port, ssl_settings=ssl_settings, internal_user=internal, internal_group=group,
        login_user=login, uid=uid, plain_port=plain_port, ssl_port=ssl_port))
    return path


def _wait_until_listening(server: Dovecot, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"dovecot exited ({server.process.returncode}):\n{server.log()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {server.port}:\n{server.log()}")


@contextlib.contextmanager
def running_dovecot(*, ssl: bool = False, extra_config: str = "") -> Iterator[Dovecot]:
    """A fresh server; ``extra_config`` is appended to its dovecot.conf (e.g. ``imap_capability``)."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise RuntimeError("dovecot is not installed: run `make system-deps` (Debian's dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="facilitator-dovecot-"))
    root.chmod(0o755)  # dovecot's own users reach their sockets through it
    server = Dovecot(root=root, port=free_port(), ssl=ssl)
    try:
        config = _write_config(server)
        config.write_text(config.read_text() + extra_config + "\n")
        server.process = subprocess.Popen(  # noqa: S603 - our own test server
            [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_listening(server)
        yield server
    finally:
        if server.process is not None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
