"""A small WebDAV client for CardDAV (RFC 6352) and CalDAV (RFC 4791) collections.

It speaks the protocol and nothing else: discovery (`.well-known`, current-user-principal,
the home set), listing (PROPFIND Depth: 1, RFC 6578 sync-collection, getctag), batched fetches
(addressbook-multiget / calendar-multiget) and conditional writes (PUT with If-Match or
If-None-Match: *, DELETE with If-Match). What to sync is decided above it (crm.sync); it knows
nothing of click or the database.

Why our own layer and not python-caldav: the CardDAV side has no maintained client library,
so this layer exists anyway, and the CalDAV side needs exactly the same five requests in
another namespace. python-caldav 3.x would add a dozen dependencies (icalendar, niquests,
dnspython, lxml, recurring-ical-events...) for them, hides the etags and the 412 the sync
decision is built on, and raises its own exceptions that would have to be mapped back here.

Safety: XML is built with ElementTree and parsed with it (never by string concatenation);
TLS is verified; plain http:// is refused except to the loopback interface; every request has a
timeout; the password lives only in the httpx auth object: it is never in a message, an
exception or a repr.
"""
from __future__ import annotations

import functools
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable, Iterator
from urllib.parse import quote, unquote, urljoin, urlsplit

from crm.errors import CrmError, InvalidInput
from crm.net.local import is_loopback

DAV = "DAV:"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
KINDS = ("carddav", "caldav")
DEFAULT_TIMEOUT = 30.0
MULTIGET_BATCH = 200
MAX_REDIRECTS = 5

ET.register_namespace("d", DAV)
ET.register_namespace("card", CARDDAV)
ET.register_namespace("cal", CALDAV)
ET.register_namespace("cs", CALSERVER)


# ---- errors ------------------------------------------------------------------------------


class DavError(CrmError):
    """The server could not be reached or answered something we cannot use."""


class DavAuthError(DavError):
    """401/403: the user name or password was refused."""


class DavUnavailable(DavError):
    """A timeout, a refused connection, a 5xx: worth trying again later."""


class DavProtocolError(DavError):
    """The answer was not what the protocol promises (malformed XML, missing parts)."""


class PreconditionFailed(DavError):
    """412: the resource changed since we read it (If-Match) or exists already (If-None-Match)."""


class SyncTokenExpired(DavError):
    """The server no longer knows our sync-token (RFC 6578 valid-sync-token): list it all again."""


# ---- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    url: str  # absolute URL, ending in /
    kind: str  # carddav | caldav
    display_name: str = ""
    ctag: str | None = None
    sync_token: str | None = None
    supports_sync: bool = False


@dataclass(frozen=True)
class Member:
    href: str  # path on the server, as normalised by `normalise_href`
    etag: str | None


@dataclass(frozen=True)
class Item:
    href: str
    etag: str | None
    data: str  # the vCard or iCalendar text


@dataclass(frozen=True)
class Changes:
    """What changed in a collection: a sync-collection answer, or a full listing (`complete`)."""

    token: str | None
    changed: tuple[Member, ...]
    removed: tuple[str, ...]
    complete: bool  # True: `changed` lists every member, anything else is gone


# ---- URLs ----------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """The URL if we may talk to it: https anywhere, http only to the loopback interface.
    A password in the URL is refused: it would end up in the database and in messages."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{safe_url(url)!r} is not an http(s) URL")
    if parts.password is not None or parts.username is not None:
        raise InvalidInput("put the user name in --user and the password in the environment, not in the URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidInput(f"plain http:// is refused except to localhost; use https:// for {parts.hostname}")
    return url.strip()


def safe_url(url: str) -> str:
    """The URL without any user information, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def normalise_href(base: str, href: str) -> str:
    """An href as a path on the server, percent-encoded one way (servers differ, '@' kept)."""
    path = urlsplit(urljoin(base, href.strip())).path
    return quote(unquote(path), "/@:+,;=")


def member_name(uid: str, suffix: str) -> str:
    """A resource name for a new item: its UID when that is a safe file name, else a hash of it."""
    import hashlib
    import re

    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,100}", uid):
        return uid + suffix
    return hashlib.sha1(uid.encode("utf-8")).hexdigest() + suffix


# ---- XML ---------------------------------------------------------------------------------


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _propfind_body(*props: tuple[str, str]) -> bytes:
    root = ET.Element(_q(DAV, "propfind"))
    prop = ET.SubElement(root, _q(DAV, "prop"))
    for namespace, name in props:
        ET.SubElement(prop, _q(namespace, name))
    return _xml(root)


def _parse(content: bytes, what: str) -> ET.Element:
    # Control characters some servers leak into XML make it unparsable; they carry nothing.
    cleaned = bytes(b for b in content if b >= 0x20 or b in (0x09, 0x0A, 0x0D))
    try:
        root = ET.fromstring(cleaned)
    except ET.ParseError as exc:
        raise DavProtocolError(f"the server's answer to {what} is not valid XML ({exc})") from None
    if root.tag != _q(DAV, "multistatus"):
        raise DavProtocolError(f"the server's answer to {what} is not a WebDAV multistatus")
    return root


def _status_code(element: ET.Element | None) -> int | None:
    if element is None or not element.text:
        return None
    parts = element.text.split()
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class _Response:
    href: str
    props: dict[str, ET.Element]  # only the properties reported with a 2xx status
    status: int | None  # the response-level status (sync-collection removals: 404)


def _responses(root: ET.Element, base: str) -> Iterator[_Response]:
    for response in root.iter(_q(DAV, "response")):
        href = response.find(_q(DAV, "href"))
        if href is None or not (href.text or "").strip():
            raise DavProtocolError("the server's multistatus has a response without an href")
        props: dict[str, ET.Element] = {}
        for propstat in response.findall(_q(DAV, "propstat")):
            code = _status_code(propstat.find(_q(DAV, "status")))
            if code is not None and not 200 <= code < 300:
                continue
            for prop in propstat.findall(_q(DAV, "prop")):
                for child in prop:
                    props[child.tag] = child
        yield _Response(normalise_href(base, href.text), props, _status_code(response.find(_q(DAV, "status"))))


def _text(props: dict[str, ET.Element], namespace: str, name: str) -> str | None:
    element = props.get(_q(namespace, name))
    if element is None:
        return None
    return (element.text or "").strip()


def _href_in(props: dict[str, ET.Element], namespace: str, name: str) -> str | None:
    element = props.get(_q(namespace, name))
    if element is None:
        return None
    href = element.find(_q(DAV, "href"))
    return (href.text or "").strip() if href is not None and href.text else None


# ---- the client ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The verifying TLS context (the system's CAs, plus `ca_file` when given), made once per
    process: loading the CA bundle costs ~20 ms, and a sync opens a client per remote."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())  # what httpx's verify=True uses
    return context


class DavClient:
    """One server account. `transport` is for tests (an httpx transport, e.g. one that injects
    faults in front of a real server); `ca_file` trusts a private certificate authority."""

    def __init__(self, url: str, user: str = "", password: str = "", *, timeout: float = DEFAULT_TIMEOUT,
                 ca_file: str | None = None, transport=None, trust_env: bool = True):
        import httpx

        self.url = check_url(url)
        self.user = user
        verify = tls_context(ca_file)
        auth = httpx.BasicAuth(user, password) if user else None
        self._http = httpx.Client(auth=auth, timeout=timeout, verify=verify, transport=transport,
                                  follow_redirects=False, trust_env=trust_env,
                                  headers={"User-Agent": "crm (CardDAV/CalDAV sync)"})

    def __repr__(self) -> str:
        return f"DavClient({safe_url(self.url)!r}, user={self.user!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DavClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the one place requests are made --

    def request(self, method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
                ok: Iterable[int] = (200, 201, 204, 207)) -> "httpx.Response":  # noqa: F821
        import httpx

        ok = tuple(ok)
        target = urljoin(self.url, url)
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(target)
            try:
                response = self._http.request(method, target, content=body, headers=headers)
            except httpx.TimeoutException:
                raise DavUnavailable(f"{method} {safe_url(target)}: the server did not answer in time") from None
            except httpx.TransportError as exc:
                raise DavUnavailable(f"{method} {safe_url(target)}: cannot reach the server"
                                     f" ({type(exc).__name__})") from None
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(target, response.headers["location"])
                continue
            break
        else:
            raise DavProtocolError(f"{method} {safe_url(self.url)}: too many redirects")
        code = response.status_code
        if code in ok:
            return response
        where = f"{method} {safe_url(target)}"
        if (code in (400, 403, 409) or (code == 412 and method == "REPORT")) and b"sync-token" in response.content:
            raise SyncTokenExpired(f"{where}: the server no longer knows the sync-token")
        if code in (401, 403):
            raise DavAuthError(f"{where}: the server refused the user name or password (HTTP {code})")
        if code == 412:
            raise PreconditionFailed(f"{where}: changed on the server meanwhile (HTTP 412)")
        if code >= 500:
            raise DavUnavailable(f"{where}: the server failed (HTTP {code}); try again later")
        raise DavError(f"{where}: unexpected answer HTTP {code}")

    def _propfind(self, url: str, depth: str, *props: tuple[str, str]) -> list[_Response]:
        response = self.request("PROPFIND", url, body=_propfind_body(*props),
                                headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        return list(_responses(_parse(response.content, "PROPFIND"), str(response.url)))

    # -- discovery --

    def discover(self, kind: str) -> list[Collection]:
        """The collections of `kind` at the URL given: the URL itself when it is one, else found
        through the principal and its home set (trying /.well-known/ when the URL says nothing)."""
        if kind not in KINDS:
            raise InvalidInput(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
        found = self._collections_at(self.url, kind, depth="0")
        if found:
            return found
        home = self._home_set(self.url, kind)
        if home is None:
            home = self._home_set(f"/.well-known/{kind}", kind)
        if home is None:
            raise DavError(f"{safe_url(self.url)}: no {kind} address book or calendar found there"
                           " (give the collection's URL)")
        found = self._collections_at(home, kind, depth="1")
        if not found:
            raise DavError(f"{safe_url(urljoin(self.url, home))}: the account has no "
                           f"{'address book' if kind == 'carddav' else 'calendar'}")
        return found

    def _home_set(self, url: str, kind: str) -> str | None:
        home_prop = (CARDDAV, "addressbook-home-set") if kind == "carddav" else (CALDAV, "calendar-home-set")
        try:
            responses = self._propfind(url, "0", (DAV, "current-user-principal"), home_prop)
        except (DavProtocolError, DavError) as exc:
            if isinstance(exc, (DavAuthError, DavUnavailable)):
                raise
            return None
        for response in responses:
            home = _href_in(response.props, *home_prop)
            if home:
                return urljoin(self.url, home)
            principal = _href_in(response.props, DAV, "current-user-principal")
            if principal:
                for answer in self._propfind(principal, "0", home_prop):
                    home = _href_in(answer.props, *home_prop)
                    if home:
                        return urljoin(self.url, home)
        return None

    def _collections_at(self, url: str, kind: str, depth: str) -> list[Collection]:
        try:
            responses = self._propfind(url, depth, (DAV, "resourcetype"), (DAV, "displayname"),
                                       (CALSERVER, "getctag"), (DAV, "sync-token"),
                                       (DAV, "supported-report-set"), (CALDAV, "supported-calendar-component-set"))
        except DavError as exc:
            if isinstance(exc, (DavAuthError, DavUnavailable)):
                raise
            return []
        wanted = _q(CARDDAV, "addressbook") if kind == "carddav" else _q(CALDAV, "calendar")
        found = []
        for response in responses:
            types = response.props.get(_q(DAV, "resourcetype"))
            if types is None or types.find(wanted) is None:
                continue
            if kind == "caldav" and not _holds_todos(response.props):
                continue
            found.append(self._collection(response, kind))
        return found

    def _collection(self, response: _Response, kind: str) -> Collection:
        reports = response.props.get(_q(DAV, "supported-report-set"))
        supports_sync = reports is not None and reports.find(f".//{_q(DAV, 'sync-collection')}") is not None
        url = urljoin(self.url, response.href)
        return Collection(url=url if url.endswith("/") else url + "/", kind=kind,
                          display_name=_text(response.props, DAV, "displayname") or "",
                          ctag=_text(response.props, CALSERVER, "getctag") or None,
                          sync_token=_text(response.props, DAV, "sync-token") or None,
                          supports_sync=supports_sync)

    def collection(self, url: str, kind: str) -> Collection:
        """The collection's current ctag and sync-token (one Depth: 0 PROPFIND)."""
        found = self._collections_at(url, kind, depth="0")
        if not found:
            raise DavError(f"{safe_url(urljoin(self.url, url))} is no longer a {kind} collection")
        return found[0]

    # -- listing --

    def members(self, url: str) -> list[Member]:
        """Every item in the collection with its etag (PROPFIND Depth: 1)."""
        collection = normalise_href(self.url, url)
        members = []
        for response in self._propfind(url, "1", (DAV, "resourcetype"), (DAV, "getetag")):
            types = response.props.get(_q(DAV, "resourcetype"))
            if response.href.rstrip("/") == collection.rstrip("/") or (
                types is not None and types.find(_q(DAV, "collection")) is not None
            ):
                continue
            members.append(Member(response.href, _text(response.props, DAV, "getetag") or None))
        return members

    def changes(self, url: str, token: str | None) -> Changes:
        """What changed since `token` (RFC 6578 sync-collection; no token: everything)."""
        root = ET.Element(_q(DAV, "sync-collection"))
        ET.SubElement(root, _q(DAV, "sync-token")).text = token or ""
        ET.SubElement(root, _q(DAV, "sync-level")).text = "1"
        prop = ET.SubElement(root, _q(DAV, "prop"))
        ET.SubElement(prop, _q(DAV, "getetag"))
        response = self.request("REPORT", url, body=_xml(root),
                                headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
        tree = _parse(response.content, "sync-collection")
        new_token = tree.findtext(_q(DAV, "sync-token"))
        if not new_token:
            raise DavProtocolError("the server's sync-collection answer has no sync-token")
        changed, removed = [], []
        collection = normalise_href(self.url, url)
        for item in _responses(tree, str(response.url)):
            if item.href.rstrip("/") == collection.rstrip("/"):
                continue
            if item.status == 404:
                removed.append(item.href)
            else:
                changed.append(Member(item.href, _text(item.props, DAV, "getetag") or None))
        return Changes(new_token.strip(), tuple(changed), tuple(removed), complete=not token)

    # -- reading and writing items --

    def multiget(self, url: str, hrefs: Iterable[str], kind: str) -> list[Item]:
        """The items at `hrefs`, fetched in batches. An href the server no longer has is left out."""
        hrefs = list(dict.fromkeys(hrefs))
        namespace, report, data = ((CARDDAV, "addressbook-multiget", "address-data") if kind == "carddav"
                                   else (CALDAV, "calendar-multiget", "calendar-data"))
        items: list[Item] = []
        for start in range(0, len(hrefs), MULTIGET_BATCH):
            root = ET.Element(_q(namespace, report))
            prop = ET.SubElement(root, _q(DAV, "prop"))
            ET.SubElement(prop, _q(DAV, "getetag"))
            ET.SubElement(prop, _q(namespace, data))
            for href in hrefs[start:start + MULTIGET_BATCH]:
                ET.SubElement(root, _q(DAV, "href")).text = href
            response = self.request("REPORT", url, body=_xml(root),
                                    headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
            for answer in _responses(_parse(response.content, report), str(response.url)):
                body = answer.props.get(_q(namespace, data))
                if body is None:
                    continue  # 404 for that href: deleted meanwhile
                items.append(Item(answer.href, _text(answer.props, DAV, "getetag") or None, body.text or ""))
        return items

    def get(self, href: str) -> Item | None:
        response = self.request("GET", href, ok=(200, 404))
        if response.status_code == 404:
            return None
        return Item(normalise_href(self.url, href), response.headers.get("etag"), response.text)

    def put(self, href: str, data: str, content_type: str, *, etag: str | None = None,
            create: bool = False) -> str | None:
        """Write an item: `create` sends If-None-Match: * (fails with PreconditionFailed when it
        exists), else If-Match `etag`. Returns the new etag when the server gives one (servers
        that rewrite what they store may not: the next listing tells it)."""
        headers = {"Content-Type": f"{content_type}; charset=utf-8"}
        if create:
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        response = self.request("PUT", href, body=data.encode("utf-8"), headers=headers, ok=(200, 201, 204))
        return response.headers.get("etag")

    def delete(self, href: str, etag: str | None) -> None:
        """Delete an item if it is still as we last saw it; one already gone is fine."""
        headers = {"If-Match": etag} if etag else {}
        self.request("DELETE", href, headers=headers, ok=(200, 204, 404))


def _holds_todos(props: dict[str, ET.Element]) -> bool:
    components = props.get(_q(CALDAV, "supported-calendar-component-set"))
    if components is None or not len(components):
        return True  # not said: every component type is allowed
    return any(comp.get("name", "").upper() == "VTODO" for comp in components)
