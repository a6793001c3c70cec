"""Low-level vCard text handling shared by the reader and the writer.

Bytes to text (BOMs, UTF-16, declared and undeclared legacy charsets), quoted-printable,
backslash escapes, parameter parsing and serialisation, and line folding. Nothing here knows
what a contact is; see `vcard_read` and `vcard_write` for that.
"""
from __future__ import annotations

import binascii
import codecs
import re
from typing import AnyStr

FALLBACK_CHARSET = "cp1252"

# Bytes that are not valid UTF-8 survive decoding as lone surrogates (U+DC80..U+DCFF) so that
# a property which declares its own charset can be re-decoded from its exact original bytes.
_SURROGATE = re.compile("[\udc80-\udcff]")
_DECLARED_CHARSET = re.compile(r"CHARSET=\"?([A-Za-z0-9_.:-]+)", re.I)
_UTF8_NAMES = {"utf-8", "ascii"}  # ascii: Outlook labels cp1252 text "us-ascii"

# Latin-1/cp1252 renderings of UTF-8 lead bytes followed by a continuation byte: the
# signature of UTF-8 text that was decoded as cp1252 somewhere upstream ("Ã©", "â€™").
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class DecodedFile:
    """The text of a whole file plus what the per-value decoder needs to know about it."""

    __slots__ = ("text", "dirty", "fallback", "notes")

    def __init__(self, text: str, dirty: bool, fallback: str, notes: list[str]):
        self.text = text  # line ends normalised to "\n" ("" when read card by card: `clean_file`)
        self.dirty = dirty  # True when `text` holds surrogate-escaped raw bytes
        self.fallback = fallback  # charset for undeclared non-UTF-8 bytes
        self.notes = notes  # file-level repairs, reported on the first card


def _one_line_end(text: AnyStr) -> AnyStr:
    """CR LF, CR CR LF and a lone CR as LF."""
    cr, crlf, crcrlf, lf = ("\r", "\r\n", "\r\r\n", "\n") if isinstance(text, str) else (b"\r", b"\r\n", b"\r\r\n", b"\n")
    if cr not in text:
        return text
    return text.replace(crcrlf, lf).replace(crlf, lf).replace(cr, lf)


def plain_utf8(data: bytes) -> bytes | None:
    """The file's bytes with their line ends normalised, when `decode_file` would find nothing
    to repair (valid UTF-8, a UTF-8 byte-order mark at most, no NUL): such a file can be
    decoded a card at a time with the same result, and never has to be one big str (up to
    four bytes a character). None for any other file."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if b"\x00" in data:  # UTF-16/32 (BOM or not) or stray NULs: decode_file's repairs
        return None
    data = _one_line_end(data)
    # Checked in slices cut after a line end: a LF byte is never inside a UTF-8 sequence, so
    # each slice is valid exactly when the whole is, and no str of the whole file is made.
    view = memoryview(data)
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", min(start + (1 << 20), size))
        end = size if end < 0 else end + 1
        try:
            codecs.utf_8_decode(view[start:end], "strict", True)
        except UnicodeDecodeError:
            return None
        start = end
    return data


def clean_file() -> DecodedFile:
    """What the per-value decoder knows of a `plain_utf8` file (its text is read card by card)."""
    return DecodedFile("", False, FALLBACK_CHARSET, [])


def decode_file(data: bytes) -> DecodedFile:
    notes: list[str] = []
    encoding = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(data) >= 4 and data[0] and not data[1] and data[2] and not data[3]:
        encoding = "utf-16-le"
        notes.append("UTF-16 without a byte-order mark, decoded as UTF-16LE")
    elif len(data) >= 4 and not data[0] and data[1] and not data[2] and data[3]:
        encoding = "utf-16-be"
        notes.append("UTF-16 without a byte-order mark, decoded as UTF-16BE")
    dirty = False
    if encoding:
        text = _one_line_end(data.decode(encoding, "replace").lstrip("\ufeff"))
    else:
        # Line ends normalised in the bytes, before decoding: a CR or LF byte is never part of a
        # UTF-8 sequence (nor of an invalid one), so the text is the same, but the copies are of
        # one byte a character, where a str with one emoji in it takes four (an address book of
        # 60 MB was three copies of 240 MB at once).
        data = _one_line_end(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", "surrogateescape")
            dirty = True
    fallback = FALLBACK_CHARSET
    if dirty:
        # A charset the file declares for some values is the strong hint for the undeclared
        # ones (an exporter writes one charset); only without one is the charset guessed.
        for name in _DECLARED_CHARSET.findall(text):
            codec = codec_name(name)
            if codec and codec not in _UTF8_NAMES:
                fallback = codec
                break
        else:
            fallback = detect_legacy(_undeclared_bytes(text))
    return DecodedFile(text, dirty, fallback, notes)


DETECT_SAMPLE_BYTES = 1 << 16
# What 8-bit vCards are written in; a detector's other guesses (EBCDIC, Mac, DOS code pages,
# UTF-16 for a few bytes) are far less likely in an address book than its own error.
_LEGACY = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
           "koi8_r", "koi8_u", "cp932", "shift_jis", "euc_jp", "gb18030", "gbk", "gb2312", "big5", "cp949",
           "euc_kr", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_9", "iso8859_15", "tis_620", "cp874")


def _undeclared_bytes(text: str) -> bytes:
    """The original bytes of the lines that are not UTF-8 (a sample: detection needs no more)."""
    found, size = [], 0
    for line in text.split("\n"):
        if _SURROGATE.search(line):
            raw = line.encode("utf-8", "surrogateescape")
            found.append(raw)
            size += len(raw)
            if size > DETECT_SAMPLE_BYTES:
                break
    return b"\n".join(found)


def detect_legacy(raw: bytes) -> str:
    """The charset of undeclared 8-bit text, by charset-normalizer: of its least chaotic
    readings, cp1252 when it reads the bytes the same (Western names, by far the most common),
    else the first common address-book charset (Cyrillic, Greek, Central European, CJK)."""
    if not raw:
        return FALLBACK_CHARSET
    from charset_normalizer import from_bytes

    results = list(from_bytes(raw))
    if not results:
        return FALLBACK_CHARSET
    least = min(r.chaos for r in results)
    best = [r for r in results if r.chaos <= least]
    western = raw.decode(FALLBACK_CHARSET, "replace")
    if any(r.encoding == FALLBACK_CHARSET or str(r) == western for r in best):
        return FALLBACK_CHARSET
    for r in best:
        if r.encoding in _LEGACY:
            return r.encoding
    return FALLBACK_CHARSET


def codec_name(charset: str) -> str | None:
    """The Python codec for a declared charset, or None when unknown or not a text
    encoding (`CHARSET=base64` names a real codec that would decode bytes to bytes)."""
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _UNSAFE_CODECS:
        return None
    return info.name


# Text codecs that can raise even with errors="replace", or that interpret escapes.
_UNSAFE_CODECS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7",
                  "undefined", "mbcs", "oem"}


def _decode(raw: bytes, codec: str) -> str:
    try:
        return raw.decode(codec, "replace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return raw.decode(FALLBACK_CHARSET, "replace")


def has_raw_bytes(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def qp_bytes(value: str) -> bytes:
    """Quoted-printable to bytes. Soft line breaks were already joined by the line reader;
    invalid `=XX` runs are kept literally rather than failing."""
    return binascii.a2b_qp(value.encode("utf-8", "surrogateescape"))


def bytes_to_text(raw: bytes, charset: str | None, fallback: str, warn) -> str:
    """Decode one property value. `warn(message)` records a repair.

    Valid UTF-8 always wins (a label of ISO-8859-1 on UTF-8 bytes is the common lie); then
    the declared charset; then, for undeclared or falsely-UTF-8 bytes, drop stray bytes if
    the rest is real UTF-8, else decode the whole value with the file's fallback charset.
    """
    codec = None
    if charset:
        codec = codec_name(charset)
        if codec is None:
            warn(f"unknown charset {charset!r}, decoded as UTF-8 or {fallback}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec and codec not in _UTF8_NAMES and not text.isascii():
            warn(f"declared charset {charset} but the bytes are UTF-8, decoded as UTF-8")
        return text
    if codec and codec not in _UTF8_NAMES:
        text = _decode(raw, codec)
        if "\ufffd" in text:
            warn(f"bytes not valid in the declared charset {charset} were replaced")
        return text
    loose = raw.decode("utf-8", "surrogateescape")
    clean = _SURROGATE.sub("", loose)
    stray = len(_SURROGATE.findall(loose))
    # A few stray bytes in real UTF-8 text are dropped; but when most of the 8-bit bytes are not
    # UTF-8, the few that happen to form a UTF-8 character are chance ("Сергей" in cp1251 is
    # not one stray "ё"), and the whole value is legacy text: never shrink a name to that.
    if not clean.isascii() and stray <= sum(1 for ch in clean if ord(ch) > 127):
        warn("invalid UTF-8 bytes dropped")
        return clean
    if not charset or codec is not None:  # an unknown charset was already reported
        warn(f"undeclared charset, decoded as {fallback}")
    return _decode(raw, fallback)


def repair_mojibake(text: str) -> str | None:
    """Return `text` with doubly-encoded UTF-8 undone, or None when it does not apply."""
    if text.isascii() or _MOJIBAKE.search(text) is None:
        return None
    for legacy in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(legacy).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return fixed
    return None


def strip_controls(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


# --- backslash escapes ----------------------------------------------------------------------

_ESCAPED = re.compile(r"\\(.)", re.S)


def _unescape_one(match: re.Match) -> str:
    char = match.group(1)
    return "\n" if char in "nN" else char


def unescape(value: str) -> str:
    """`\\n` `\\N` -> newline; any other escaped character (`\\,` `\\;` `\\\\` `\\:`) -> itself."""
    if "\\" not in value:
        return value
    return _ESCAPED.sub(_unescape_one, value)


def split_unescaped(value: str, sep: str) -> list[str]:
    """Split at `sep` characters that are not backslash-escaped (parts stay escaped)."""
    if "\\" not in value:
        return value.split(sep)
    parts: list[str] = []
    start = 0
    i = 0
    n = len(value)
    while i < n:
        char = value[i]
        if char == "\\":
            i += 2
            continue
        if char == sep:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


def escape_text(value: str) -> str:
    """Escape a TEXT value (3.0 and 4.0): backslash, newline, comma, semicolon."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")
    )


def escape_uri(value: str) -> str:
    """Escape a URI-ish value (URL, TEL, IMPP): only what would break the line or its reading."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def escape_reencoded(value: str, structured: bool, text: bool) -> str:
    """Escape a value decoded from QP or a legacy charset so it fits on one 3.0/4.0 line."""
    value = value.replace("\\", "\\\\").replace("\n", "\\n")
    if text or structured:
        value = value.replace(",", "\\,")
    if text and not structured:
        value = value.replace(";", "\\;")
    return value


# --- parameters ---------------------------------------------------------------------------

_ENCODING_WORDS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_RFC6868 = re.compile(r"\^([n'^])")
_RFC6868_MAP = {"n": "\n", "'": '"', "^": "^"}


def find_value_colon(line: str) -> int:
    """Index of the ':' that ends the name and parameters, skipping quoted parameter values."""
    colon = line.find(":")
    if colon < 0 or line.find('"', 0, colon) < 0:
        return colon
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return i
    return colon  # unbalanced quote: fall back to the first colon


def _split_params(text: str) -> list[str]:
    if '"' not in text:
        return text.split(";")
    parts: list[str] = []
    start = 0
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


Params = tuple[tuple[str, str], ...]  # ordered (UPPER-NAME, value) pairs

_PARAMS_CACHE: dict[str, tuple[Params, bool]] = {}
_TYPES_CACHE: dict[tuple, list[str]] = {}


def parse_params(text: str) -> tuple[Params, bool]:
    """`_parse_params`, memoised: a file repeats the same few parameter strings."""
    found = _PARAMS_CACHE.get(text)
    if found is None:
        if len(_PARAMS_CACHE) > 4096:
            _PARAMS_CACHE.clear()
        params, rebuild = _parse_params(text)
        found = _PARAMS_CACHE[text] = (tuple(params), rebuild)
    return found


def _parse_params(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Parse `;`-separated parameters into an ordered list of (UPPER-NAME, value).

    Bare 2.1 parameters become ("TYPE", value) or ("ENCODING", value); quoted values are
    unquoted and RFC 6868 `^n ^' ^^` decoded. The flag says the original text was not in
    clean 3.0/4.0 form (bare parameters, CHARSET, quoted-printable, empty slots...), so an
    unmapped line must be rebuilt rather than kept verbatim.
    """
    params: list[tuple[str, str]] = []
    rebuild = False
    for part in _split_params(text):
        key, eq, value = part.partition("=")
        if not eq:
            word = key.strip().upper()
            if not word:
                rebuild = True
                continue
            rebuild = True
            if word in _ENCODING_WORDS:
                params.append(("ENCODING", word))
            else:
                params.append(("TYPE", word))
            continue
        key = key.strip().upper()
        value = value.strip()
        if '"' in value:
            value = value.replace('"', "")
        if "^" in value:
            value = _RFC6868.sub(lambda m: _RFC6868_MAP[m.group(1)], value)
        if key in ("CHARSET", "ENCODING"):
            rebuild = True
        params.append((key, value))
    return params, rebuild


def param(params: Params, key: str) -> str:
    for name, value in params:
        if name == key:
            return value
    return ""


def param_types(params: Params, drop: frozenset = frozenset()) -> list[str]:
    """TYPE values in order of appearance, lower-cased and deduplicated; PREF=1 counts as
    the type "pref" so 3.0 `TYPE=pref` and 4.0 `PREF=1` read the same. (A fresh list.)"""
    key = (params, drop)
    found = _TYPES_CACHE.get(key)
    if found is None:
        if len(_TYPES_CACHE) > 4096:
            _TYPES_CACHE.clear()
        found = _TYPES_CACHE[key] = _param_types(params, drop)
    return list(found)


def _param_types(params: Params, drop: frozenset) -> list[str]:
    types: list[str] = []
    for name, value in params:
        if name == "TYPE":
            for item in value.split(","):
                item = item.strip().lower()
                if item and item not in types and item not in drop:
                    types.append(item)
        elif name == "PREF" and value.strip() == "1" and "pref" not in types:
            types.append("pref")
    return types


_PARAM_NEEDS_QUOTES = re.compile(r'[:;,"\x00-\x1f]|^\s|\s$')


def format_param_value(value: str) -> str:
    if _PARAM_NEEDS_QUOTES.search(value) is None and "^" not in value:
        return value
    value = value.replace("^", "^^").replace("\n", "^n").replace('"', "^'")
    value = _CONTROL.sub("", value.replace("\r", ""))
    return f'"{value}"'


def format_params(params: list[tuple[str, str]] | Params) -> str:
    """Serialise parameters; consecutive TYPE entries merge into one `TYPE=a,b`."""
    out: list[str] = []
    types: list[str] = []

    def flush() -> None:
        if types:
            out.append("TYPE=" + ",".join(format_param_value(t) for t in types))
            types.clear()

    for name, value in params:
        if name == "TYPE":
            for item in value.split(","):
                item = item.strip().lower()
                if item and item not in types:
                    types.append(item)
            continue
        flush()
        out.append(f"{name}={format_param_value(value)}")
    flush()
    return "".join(";" + item for item in out)


# --- folding -----------------------------------------------------------------------------


def fold(line: str, limit: int = 75) -> str:
    """Fold one content line at `limit` octets with CRLF + space, never inside a UTF-8
    sequence. The continuation's leading space counts towards its line's limit."""
    if len(line) <= limit and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    chunks: list[str] = []
    start = 0
    size = limit
    total = len(data)
    while start < total:
        end = start + size
        if end >= total:
            end = total
        else:
            while data[end] & 0xC0 == 0x80:  # never split a multi-byte character
                end -= 1
        chunks.append(data[start:end].decode("utf-8"))
        start = end
        size = limit - 1
    return "\r\n ".join(chunks)
