"""vCard property mapping: one card's decoded properties onto `Card` fields.

`CardBuilder` collects a card while `vcard_read` feeds it one property at a time through
`HANDLERS` (one function per mapped property name); anything without a handler is kept as a
clean 3.0/4.0 content line in `Card.extra`. Also the forgiving parsers for the values real
clients get wrong: birthdays without a year, photos in five shapes, labels in Apple groups.
"""
from __future__ import annotations

import datetime
import re
from typing import Callable

from crm.formats.vcard import text as vt
from crm.formats.card import NO_NAME, ROLES, Birthday, Card, Typed

_B64_BODY = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?\Z")
_DATE_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})(?:[T ].*)?\Z")
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_\Z", re.S)
_WHITESPACE = re.compile(r"\s+")

# Properties that carry no contact data of their own; VERSION is implied by the writer.
DROPPED = frozenset({"BEGIN", "END", "VERSION", "PRODID", "PROFILE", "REV"})
_STRUCTURED = frozenset({"N", "ADR", "ORG", "GEO", "X-ABADR"})
_TEXT_LIKE = frozenset({"FN", "NICKNAME", "NOTE", "TITLE", "ROLE", "LABEL", "CATEGORIES",
                        "SORT-STRING", "NAME", "CLASS", "MAILER", "X-ABLABEL"})
_COMMON_KINDS = frozenset({"home", "work", "pref", "other", "internet", "personal", "business"})
_EMAIL_NOISE = frozenset({"internet"})
_BINARY = frozenset({"PHOTO", "LOGO", "KEY", "SOUND"})
# Pre-IMPP instant-messaging properties (Google, Evolution, Outlook, Apple address books).
LEGACY_IM = frozenset({
    "X-AIM", "X-ICQ", "X-JABBER", "X-SKYPE", "X-SKYPE-USERNAME", "X-TWITTER", "X-GTALK",
    "X-GOOGLE-TALK", "X-YAHOO", "X-MSN", "X-QQ", "X-GADUGADU", "X-FACEBOOK", "X-LINKEDIN",
    "X-MS-IMADDRESS", "X-GROUPWISE", "X-TELEGRAM", "X-WECHAT",
})
_SOCIAL_HOSTS = (
    ("linkedin.", "linkedin"), ("twitter.", "twitter"), ("x.com/", "twitter"),
    ("facebook.", "facebook"), ("github.", "github"), ("instagram.", "instagram"),
    ("xing.", "xing"), ("mastodon", "mastodon"), ("flickr.", "flickr"),
    ("myspace.", "myspace"), ("youtube.", "youtube"), ("sinaweibo", "sinaweibo"),
)
_SNIFF = (("/9j/", "JPEG"), ("iVBORw0KGgo", "PNG"), ("R0lGOD", "GIF"), ("Qk", "BMP"))
_MEDIA_SUBTYPE = {"application/x-x509-user-cert": "X509", "application/pgp-keys": "PGP"}


_QP: dict[vt.Params, bool] = {}


def _quoted_printable(params: vt.Params) -> bool:
    """True when the (last) ENCODING parameter says quoted-printable, as `decode` reads it."""
    found = _QP.get(params)
    if found is None:
        if len(_QP) > 4096:
            _QP.clear()
        encoding = ""
        for key, value in params:
            if key == "ENCODING":
                encoding = value.upper()
        found = _QP[params] = encoding == "QUOTED-PRINTABLE"
    return found


class CardBuilder:
    """Collects one card's mapped fields while its properties are read."""

    def __init__(self, decoded: vt.DecodedFile, warnings: list[str]):
        self.decoded = decoded
        self.warnings = warnings
        self.fn = ""
        self.n: list[str] | None = None
        self.nicknames: list[str] = []
        self.org: list[str] | None = None
        self.title = ""
        self.role = ""
        self.notes: list[str] = []
        self.birthday: Birthday | None = None
        self.uid = ""
        self.emails: list[Typed] = []
        self.phones: list[Typed] = []
        self.urls: list[Typed] = []
        self.socials: list[Typed] = []
        self.categories: list[str] = []
        self.seen_categories: set[str] = set()  # membership in O(1): a card may list 200,000
        self.extra: list[str] = []
        self.grouped: list[tuple[list[Typed], int, str]] = []
        self.labels: dict[str, tuple[int, str]] = {}

    def warn(self, lineno: int, message: str) -> None:
        self.warnings.append(f"line {lineno}: {message}")

    def decode(self, params: vt.Params, raw: str, lineno: int) -> tuple[str, bool]:
        """The value with transfer encoding and charset undone, still backslash-escaped.
        The flag says it differs from the raw text (so a kept line must be re-escaped)."""
        decoded = self.decoded
        charset = None
        if raw.isascii() and not params:
            return raw, False
        if params:
            encoding = ""
            for key, value in params:
                if key == "ENCODING":
                    encoding = value.upper()
                elif key == "CHARSET":
                    charset = value
            if encoding == "QUOTED-PRINTABLE":
                text = vt.bytes_to_text(vt.qp_bytes(raw), charset, decoded.fallback,
                                        lambda msg: self.warn(lineno, msg))
                text = vt.strip_controls(text)
                return self._mojibake(text, lineno), True
        if raw.isascii():
            return raw, False
        if decoded.dirty and vt.has_raw_bytes(raw):
            text = vt.bytes_to_text(raw.encode("utf-8", "surrogateescape"), charset,
                                    decoded.fallback, lambda msg: self.warn(lineno, msg))
            return self._mojibake(vt.strip_controls(text), lineno), True
        fixed = vt.repair_mojibake(raw)
        if fixed is not None:
            self.warn(lineno, "doubly-encoded UTF-8 (mojibake) repaired")
            return fixed, True
        return raw, False

    def _mojibake(self, text: str, lineno: int) -> str:
        fixed = vt.repair_mojibake(text)
        if fixed is None:
            return text
        self.warn(lineno, "doubly-encoded UTF-8 (mojibake) repaired")
        return fixed

    def text(self, params: vt.Params, raw: str, lineno: int) -> str:
        if raw.isascii() and (not params or not _quoted_printable(params)):
            return vt.unescape(raw).strip() if "\\" in raw else raw.strip()  # what decode gives back
        return vt.unescape(self.decode(params, raw, lineno)[0]).strip()

    def keep(self, group, name, params, rebuild, raw, line, lineno, decoded=None) -> None:
        """Keep an unmapped property as one clean 3.0/4.0 content line in `extra`."""
        value, changed = decoded if decoded is not None else self.decode(params, raw, lineno)
        if not value.strip():
            return
        if not rebuild and not changed:
            self.extra.append(line.strip())
            return
        kept: list[tuple[str, str]] = []
        for key, pvalue in params:
            if key == "CHARSET":
                continue
            if key == "ENCODING":
                word = pvalue.upper()
                if word in ("BASE64", "B"):
                    kept.append(("ENCODING", "b"))
                continue
            kept.append((key, pvalue))
        if changed:
            value = vt.escape_reencoded(value, name in _STRUCTURED, name in _TEXT_LIKE or name == "AGENT")
        prefix = f"{group}.{name}" if group else name
        self.extra.append(f"{prefix}{vt.format_params(kept)}:{value}")

    def typed(self, target, group, params, value, drop=frozenset(), service="") -> None:
        kind = ",".join(vt.param_types(params, drop)) if params else ""
        target.append(Typed(value, kind, "", service))
        if group:
            self.grouped.append((target, len(target) - 1, group))

    def finish(self, first_lineno: int) -> Card:
        if self.labels:
            used = set()
            for target, position, group in self.grouped:
                found = self.labels.get(group)
                if found:
                    old = target[position]
                    target[position] = Typed(old.value, old.kind, found[1], old.service)
                    used.add(found[0])
            if used:
                self.extra = [line for k, line in enumerate(self.extra) if k not in used]
        family, given, additional, prefix, suffix = self.n or ("", "", "", "", "")
        org, department = "", ""
        if self.org:
            org = self.org[0]
            department = ", ".join(unit for unit in self.org[1:] if unit)
        nickname = ", ".join(self.nicknames)
        display = self.fn
        if not display:
            source = "N"
            display = " ".join(part for part in (prefix, given, family, suffix) if part)
            if not display:
                for source, candidate in (
                    ("NICKNAME", nickname), ("ORG", org),
                    ("EMAIL", self.emails[0].value if self.emails else ""),
                    ("TEL", self.phones[0].value if self.phones else ""),
                ):
                    if candidate:
                        display = candidate
                        break
            if display:
                self.warn(first_lineno, f"no FN, display name taken from {source}")
            else:
                display = NO_NAME
                self.warn(first_lineno, f"no name, email or phone, display name set to {NO_NAME!r}")
        return Card(
            display_name=display, given_name=given, family_name=family,
            additional_names=additional, name_prefix=prefix, name_suffix=suffix,
            nickname=nickname, org=org, department=department, title=self.title,
            role=self.role, note="\n".join(self.notes), birthday=self.birthday, uid=self.uid,
            emails=self.emails, phones=self.phones, urls=self.urls, socials=self.socials,
            categories=self.categories, extra=self.extra,
        )


# --- property handlers: (builder, group, NAME, params, rebuild, raw value, line, lineno) -----


def _first_text(attribute: str):
    """A handler for a single text property (FN, TITLE): the first non-empty value is the card's,
    any later one is kept as an extra property so that export loses nothing."""

    def handle(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
        decoded = b.decode(params, raw, lineno)
        value = vt.unescape(decoded[0]).strip()
        if not value:
            return
        if getattr(b, attribute):
            b.keep(group, name, params, rebuild, raw, line, lineno, decoded)
        else:
            setattr(b, attribute, value)

    return handle


_fn = _first_text("fn")


def _n(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    if b.n is not None:
        b.keep(group, name, params, rebuild, raw, line, lineno, decoded)
        return
    value = decoded[0]
    parts = [vt.unescape(part).strip() for part in vt.split_unescaped(value, ";")[:5]]
    b.n = parts + [""] * (5 - len(parts))


def _nickname(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.decode(params, raw, lineno)[0]
    for part in vt.split_unescaped(value, ","):
        part = vt.unescape(part).strip()
        if part and part not in b.nicknames:
            b.nicknames.append(part)


def _org(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    units = [vt.unescape(part).strip() for part in vt.split_unescaped(decoded[0], ";")]
    if not any(units):
        return
    if b.org is None:
        b.org = units
    else:
        b.keep(group, name, params, rebuild, raw, line, lineno, decoded)


_title = _first_text("title")


def _note(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if value:
        b.notes.append(value)


def _uid(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    value = vt.unescape(decoded[0]).strip()
    if value and not b.uid:
        b.uid = value
    elif value:
        b.keep(group, name, params, rebuild, raw, line, lineno, decoded)


def _bday(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    value = vt.unescape(decoded[0]).strip()
    if not value:
        return
    if b.birthday is None and vt.param(params, "VALUE").lower() != "text":
        birthday = parse_birthday(value, vt.param(params, "X-APPLE-OMIT-YEAR"))
        if birthday is not None:
            b.birthday = birthday
            return
        b.warn(lineno, f"birthday {value!r} is not a date, kept as is")
    b.keep(group, name, params, rebuild, raw, line, lineno, decoded)


def parse_birthday(value: str, omit_year: str = "") -> Birthday | None:
    """`1980-03-22`, `19800322`, `1980-03-22T00:00:00Z`, `--03-22`, `--0322`; the year is
    unknown for 4.0 `--MMDD`, Apple's 1604 sentinel, year 0 and X-APPLE-OMIT-YEAR."""
    match = _DATE_NO_YEAR.match(value)
    if match:
        year = None
        month, day = int(match.group(1)), int(match.group(2))
    else:
        match = _DATE.match(value)
        if not match:
            return None
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if year in (0, 1604) or omit_year.strip() == match.group(1):
            year = None
    try:
        datetime.date(year or 2000, month, day)  # 2000: a leap year allows --02-29
    except ValueError:
        return None
    return Birthday(month, day, year)


def _email(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if value[:7].lower() == "mailto:":
        value = value[7:].strip()
    if value:
        b.typed(b.emails, group, params, value, _EMAIL_NOISE)


def _tel(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if value[:4].lower() == "tel:":
        value = value[4:].strip()
    if value:
        b.typed(b.phones, group, params, value)


def _url(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if value:
        b.typed(b.urls, group, params, value)


def _social_profile(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if not value:
        return
    types = vt.param_types(params)
    service = vt.param(params, "X-SERVICE-TYPE").strip().lower()
    if not service:
        for item in types:
            if item not in _COMMON_KINDS:
                service = item
                types.remove(item)
                break
    if not service:
        lower = value.lower()
        service = next((svc for host, svc in _SOCIAL_HOSTS if host in lower), "")
    _add_social(b, group, value, ",".join(types), service)


def _impp(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if not value:
        return
    service = vt.param(params, "X-SERVICE-TYPE").strip().lower()
    if not service and _URI.match(value):
        service = value.partition(":")[0].lower()
    _add_social(b, group, value, ",".join(vt.param_types(params)), f"impp:{service}" if service else "impp")


def _legacy_im(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.text(params, raw, lineno)
    if value:
        _add_social(b, group, value, ",".join(vt.param_types(params)), name.lower())


def _add_social(b: CardBuilder, group, value, kind, service) -> None:
    b.socials.append(Typed(value, kind, "", service))
    if group:
        b.grouped.append((b.socials, len(b.socials) - 1, group))


def _categories(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    value = b.decode(params, raw, lineno)[0]
    parts = vt.split_unescaped(value, ",")
    if len(parts) == 1 and "\\," in value and vt.param(params, "CHARSET"):
        # Thunderbird's MoreFunctionsForAddressBook escapes the list commas; its CHARSET=
        # parameter (2.1-only, never written by us) marks it, so our own files are unaffected.
        parts = value.split("\\,")
        b.warn(lineno, "escaped commas in CATEGORIES read as list separators")
    for part in parts:
        part = vt.unescape(part).strip()
        if part and part not in b.seen_categories:
            b.seen_categories.add(part)
            b.categories.append(part)


def _crm_role(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    value = vt.unescape(decoded[0]).strip().lower()
    if value in ROLES and not b.role:
        b.role = value
    else:
        b.keep(group, name, params, rebuild, raw, line, lineno, decoded)


def _ab_label(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    decoded = b.decode(params, raw, lineno)
    label = vt.unescape(decoded[0]).strip()
    wrapped = _APPLE_LABEL.match(label)
    if wrapped:
        label = wrapped.group(1).strip()
    if group and label and group not in b.labels:
        b.labels[group] = (len(b.extra), label)
    b.keep(group, name, params, rebuild, raw, line, lineno, decoded)


def _binary(b: CardBuilder, group, name, params, rebuild, raw, line, lineno) -> None:
    if not raw.strip():
        b.warn(lineno, f"empty {name} dropped")
        return
    try:
        kept = _binary_line(group, name, params, raw, lambda msg: b.warn(lineno, msg))
    except Exception:  # noqa: BLE001 - a photo must never sink a card
        kept = None
    if kept is None:
        b.warn(lineno, f"unreadable {name} dropped")
    else:
        b.extra.append(kept)


def _binary_line(group, name, params, raw, warn: Callable[[str], None]) -> str | None:
    """PHOTO/LOGO/KEY/SOUND as one canonical line: `NAME;ENCODING=b;TYPE=JPEG:<base64>` for
    inline data (whatever form it came in) or `NAME;VALUE=uri:<uri>` for a link."""
    prefix = f"{group}.{name}" if group else name
    value = raw.strip()
    if "\\" in value:
        value = vt.unescape(value)
    subtype = ""
    if value[:5].lower() == "data:":
        header, comma, payload = value[5:].partition(",")
        if not comma:
            return None
        media = header.split(";")[0].strip().lower()
        if "base64" not in header.lower():
            return f"{prefix};VALUE=uri:{vt.escape_uri(value)}"
        subtype = _MEDIA_SUBTYPE.get(media, media.rpartition("/")[2].upper())
        value = payload
    elif _URI.match(value) or vt.param(params, "VALUE").lower() in ("uri", "url"):
        return f"{prefix};VALUE=uri:{vt.escape_uri(value)}"
    body = clean_base64(value, warn)
    if body is None:
        return None
    if not subtype:
        types = [t for t in vt.param_types(params) if t not in _COMMON_KINDS]
        subtype = types[0].upper() if types else ""
        if "/" in subtype:
            subtype = _MEDIA_SUBTYPE.get(subtype.lower(), subtype.rpartition("/")[2])
    if not subtype:
        subtype = next((kind for magic, kind in _SNIFF if body.startswith(magic)), "")
    type_param = f";TYPE={vt.format_param_value(subtype)}" if subtype else ""
    return f"{prefix};ENCODING=b{type_param}:{body}"


def clean_base64(value: str, warn: Callable[[str], None]) -> str | None:
    body = _WHITESPACE.sub("", value)
    if not body:
        return None
    if "-" in body or "_" in body:
        body = body.replace("-", "+").replace("_", "/")
    if _B64_BODY.match(body) is None:
        return None
    stripped = body.rstrip("=")
    if len(stripped) % 4 == 1:
        stripped = stripped[:-1]  # a dangling sextet carries no whole byte
    padded = stripped + "=" * (-len(stripped) % 4)
    if padded != body:
        warn("base64 padding repaired")
    return padded or None


HANDLERS: dict[str, Callable] = {
    "FN": _fn, "N": _n, "NICKNAME": _nickname, "ORG": _org, "TITLE": _title, "NOTE": _note,
    "UID": _uid, "BDAY": _bday, "EMAIL": _email, "TEL": _tel, "URL": _url,
    "X-SOCIALPROFILE": _social_profile, "IMPP": _impp, "CATEGORIES": _categories,
    "X-CRM-ROLE": _crm_role, "X-ABLABEL": _ab_label,
    **{name: _legacy_im for name in LEGACY_IM},
    **{name: _binary for name in _BINARY},
}
