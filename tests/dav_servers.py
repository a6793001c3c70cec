"""Real CardDAV/CalDAV servers for the sync tests: Radicale and Xandikos, each started once per
test session on 127.0.0.1 with a free port, authentication and a temporary storage folder,
and stopped at the end (the model is vdirsyncer's tests/storage/servers/).

- Radicale: plain http on 127.0.0.1 with htpasswd authentication (plain-text entries).
- Xandikos: its --htpasswd authentication requires its --autocert TLS, so it serves https with
  a self-signed certificate made here by openssl for 127.0.0.1; the client is given that
  certificate as its CA: the tests exercise verified TLS too.

Server-side changes in the tests are plain HTTP requests (`ServerAccount.put/delete/get`), as
another client (a phone) would make them.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

USER = "ada"
PASSWORD = "s3cret-Pa55"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DavServer:
    name: str
    root: str  # e.g. http://127.0.0.1:5232/
    home: str  # where this user's collections go, e.g. /ada/
    ca_file: str | None
    process: subprocess.Popen

    def http(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        return httpx.Client(auth=(USER, PASSWORD), verify=verify, timeout=10, trust_env=False)

    def new_collection(self, kind: str) -> str:
        """A fresh, empty address book (carddav) or calendar (caldav); its absolute URL."""
        url = f"{self.root.rstrip('/')}{self.home}{kind}-{uuid.uuid4().hex[:10]}/"
        d, extra = "DAV:", ("urn:ietf:params:xml:ns:carddav" if kind == "carddav" else "urn:ietf:params:xml:ns:caldav")
        root = ET.Element(f"{{{d}}}mkcol")
        prop = ET.SubElement(ET.SubElement(root, f"{{{d}}}set"), f"{{{d}}}prop")
        types = ET.SubElement(prop, f"{{{d}}}resourcetype")
        ET.SubElement(types, f"{{{d}}}collection")
        ET.SubElement(types, f"{{{extra}}}{'addressbook' if kind == 'carddav' else 'calendar'}")
        with self.http() as client:
            response = client.request("MKCOL", url, content=ET.tostring(root, xml_declaration=True, encoding="utf-8"),
                                      headers={"Content-Type": "application/xml"})
            assert response.status_code in (200, 201), (self.name, response.status_code, response.text[:300])
        return url

    # -- what another client does --

    def put(self, url: str, text: str, content_type: str = "text/vcard", etag: str | None = None) -> None:
        headers = {"Content-Type": content_type}
        if etag:
            headers["If-Match"] = etag
        with self.http() as client:
            response = client.put(url, content=text.encode("utf-8"), headers=headers)
            assert response.status_code in (200, 201, 204), (response.status_code, response.text[:300])

    def delete(self, url: str) -> None:
        with self.http() as client:
            assert client.delete(url).status_code in (200, 204)

    def get(self, url: str) -> tuple[str, str]:
        with self.http() as client:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.text, response.headers.get("etag", "")

    def hrefs(self, collection: str) -> list[str]:
        """Every item's absolute URL in a collection (PROPFIND Depth: 1)."""
        body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
        with self.http() as client:
            response = client.request("PROPFIND", collection, content=body,
                                      headers={"Depth": "1", "Content-Type": "application/xml"})
        tree = ET.fromstring(response.content)
        base = httpx.URL(collection)
        found = []
        for href in tree.iter("{DAV:}href"):
            url = str(base.join(href.text.strip()))
            if url.rstrip("/") != collection.rstrip("/"):
                found.append(url)
        return sorted(found)


def remote_for(server: DavServer, kind: str, name: str, run, monkeypatch) -> str:
    """A fresh collection on `server`, added to the test's database as remote `name` through
    the CLI, with its password (and the server's CA) in the environment. Returns its URL."""
    import re

    url = server.new_collection(kind)
    monkeypatch.setenv("CRM_REMOTE_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", name.upper()), PASSWORD)
    if server.ca_file:
        monkeypatch.setenv("CRM_CA_FILE", server.ca_file)
    result = run("remote", "add", name, url, "--kind", kind, "--user", USER)
    assert result.exit_code == 0, result.output
    return url


def _wait_until_up(server: DavServer, log: Path) -> None:
    deadline = time.monotonic() + 20
    with server.http() as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited: {log.read_text()[-2000:]}")
            try:
                client.request("PROPFIND", server.root.rstrip("/") + server.home, headers={"Depth": "0"})
                return
            except httpx.TransportError:
                time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start: {log.read_text()[-2000:]}")


def start_radicale(folder: Path) -> DavServer:
    port = free_port()
    htpasswd = folder / "users"
    htpasswd.write_text(f"{USER}:{PASSWORD}\n")
    log = folder / "radicale.log"
    # --auth-delay 0: no pause after a refused login (a test refuses one on purpose).
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "radicale", "--config", "", "--auth-delay", "0",
         "--server-hosts", f"127.0.0.1:{port}",
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
         "--auth-htpasswd-encryption", "plain",
         "--storage-filesystem-folder", str(folder / "collections"),
         "--rights-type", "owner_only", "--logging-level", "warning"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    server = DavServer("radicale", f"http://127.0.0.1:{port}/", f"/{USER}/", None, process)
    _wait_until_up(server, log)
    return server


def start_xandikos(folder: Path) -> DavServer:
    port = free_port()
    certs = folder / "state" / "certs"
    certs.mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(certs / "selfsigned.key"), "-out", str(certs / "selfsigned.crt"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    htpasswd = folder / "users"
    htpasswd.write_text(f"{USER}:{{SHA}}{digest}\n")
    log = folder / "xandikos.log"
    process = subprocess.Popen(
        [str(BIN / "xandikos"), "serve", "-d", str(folder / "data"), "--defaults",
         "-l", "127.0.0.1", "-p", str(port), "--no-detect-systemd",
         "--autocert", "--state-dir", str(folder / "state"), "--htpasswd", str(htpasswd),
         "--current-user-principal", f"/{USER}/"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    server = DavServer("xandikos", f"https://127.0.0.1:{port}/", f"/{USER}/", str(certs / "selfsigned.crt"), process)
    _wait_until_up(server, log)
    return server


def _stop(server: DavServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """Radicale, started once for the whole session."""
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory):
    """Xandikos (https, self-signed certificate given to the client), started once per session."""
    server = start_xandikos(tmp_path_factory.mktemp("xandikos"))
    yield server
    _stop(server)


@pytest.fixture(scope="session", params=["radicale", "xandikos"])
def dav_server(request) -> DavServer:
    """Each real server in turn: the sync tests run against both."""
    return request.getfixturevalue(request.param)
