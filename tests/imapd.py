"""A real IMAP server on loopback for the tests: a private Dovecot instance.

Its own config file, base_dir, passwd-file and mail folder under a fresh
temporary directory; plaintext login allowed (loopback only), and TLS with a
self-signed certificate made by ``openssl`` for the ``imaps://`` and STARTTLS
tests (the client trusts it through ``SSL_CERT_FILE``). Run as root, Dovecot
refuses to log in as root, so its processes use the ``dovecot``/``dovenull``
accounts the Debian package creates, and the mail folder is theirs.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtpd import free_port

USER, PASSWORD = "dcs", "s3cret"


def available() -> bool:
    return shutil.which("dovecot") is not None or Path("/usr/sbin/dovecot").exists()


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="manyi-dovecot-"))
        self.port = free_port()
        self.tls_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def _accounts(self) -> tuple[str, str, str, int, int]:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            return me.pw_name, me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
        internal = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", "dovecot", internal.pw_uid, internal.pw_gid

    def _certificate(self) -> None:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                str(self.root / "key.pem"),
                "-out",
                str(self.root / "cert.pem"),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> Dovecot:
        internal, login, group, uid, gid = self._accounts()
        self._certificate()
        mail = self.root / "mail"
        mail.mkdir()
        os.chmod(self.root, 0o755)
        os.chown(mail, uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        os.chmod(self.root / "key.pem", 0o644)
        conf = self.root / "dovecot.conf"
        conf.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
instance_name = manyi-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.root}/cert.pem
ssl_key = <{self.root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")
        self.proc = subprocess.Popen(
            ["dovecot", "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin"},
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with self.client() as c:
                    c.noop()
                return self
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    log = self.root / "dovecot.log"
                    raise RuntimeError(
                        "dovecot did not start: " + (log.read_text() if log.exists() else "")
                    ) from None
                time.sleep(0.2)

    def client(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        c.login(USER, PASSWORD)
        c.select("INBOX")
        return c

    def append(self, raw: bytes) -> None:
        with self.client() as c:
            typ, data = c.append("INBOX", None, None, raw)
            assert typ == "OK", data

    def url(self, scheme: str = "imap", starttls: bool = False) -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        tail = "" if scheme == "imaps" else ("?starttls=1" if starttls else "?starttls=0")
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}/INBOX{tail}"

    @property
    def cafile(self) -> str:
        return str(self.root / "cert.pem")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
