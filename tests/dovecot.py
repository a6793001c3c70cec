"""A real Dovecot IMAP server for the tests: a throwaway config, passwd file and mail folder
under a temp dir, listening on 127.0.0.1 on a free port, no TLS (plain IMAP is allowed to
localhost only). Started once per session by the `dovecot` fixture in conftest.py.

Without Dovecot installed the IMAP tests skip, naming the package to install, except when the
CI environment variable is set: there a missing server is a failure, never a silent skip.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

USER = "ada"
PASSWORD = "correct horse battery staple 7f3a"  # a test secret: the tests check it never leaks


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    root: Path

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{folder}"


def find_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses to run its internal and login processes as root; the package creates these.
        internal, login = "dovecot", "dovenull"
        import pwd

        uid = gid = pwd.getpwnam("dovecot").pw_uid
        gid = pwd.getpwnam("dovecot").pw_gid
    else:
        import getpass

        internal = login = getpass.getuser()
        uid, gid = os.getuid(), os.getgid()
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is tested: no delay or penalty, or that test would wait seconds.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.1/32
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def start() -> Server:
    """Start a server in a fresh directory of its own (pytest's tmp dirs are 0700: the
    unprivileged dovecot processes could not read the passwd file there)."""
    import tempfile

    binary = find_binary()
    assert binary is not None
    root = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
    for sub in ("run", "state", "home", "mail"):
        (root / sub).mkdir(exist_ok=True)
    port = _free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("dovecot")
        for sub in ("home", "mail"):
            os.chown(root / sub, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o755)
        os.chmod(root / "passwd", 0o644)
    # Dovecot daemonises; its output goes to a file so no pipe is held open by the daemon.
    with open(root / "start.log", "wb") as out:
        started = subprocess.run([binary, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, timeout=20)
    if started.returncode != 0:
        raise RuntimeError("dovecot did not start: " + (root / "start.log").read_text()[-2000:])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bounded wait for the listener
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("dovecot did not start: " + (root / "dovecot.log").read_text()[-2000:])
    return Server("127.0.0.1", port, USER, PASSWORD, root)


def stop(server: Server) -> None:
    try:
        _stop(server.root)
    finally:
        shutil.rmtree(server.root, ignore_errors=True)


def _stop(root: Path) -> None:
    """Kill the server's process group (the master and the processes it started, nothing else):
    a throwaway server needs no graceful shutdown, which takes Dovecot seconds."""
    pid_file = root / "run" / "master.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return
    if group == pid:  # the daemonised master leads its own group
        os.killpg(group, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGKILL)
