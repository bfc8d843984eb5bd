"""Canvas pagination: ``per_page``, bookmark page tokens and the ``Link`` header.

Follows Canvas's ``Api.paginate`` and ``BookmarkedCollection``: ``per_page`` is Ruby's ``to_i`` of
the last value sent, clamped to 1..100; bookmarks are ``bookmark:`` plus unpadded base64url JSON;
link URLs keep the request's other query parameters in Rails ``to_query`` form (sorted, escaped);
links are listed current, next, prev, first, last, and dropped by priority past 6 KB.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

from .jsonenc import dumps
from .lookup import ruby_to_i

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
FIRST_PAGE = "first"
EXCLUDED_FROM_LINKS = frozenset({"page", "per_page", "access_token", "api_key"})
_LINK_ORDER = ("current", "next", "prev", "first", "last")
_LINK_PRIORITY = ("next", "last", "prev", "current", "first")
_MAX_LINKS_SIZE = 6 * 1024
_NUMBERED = re.compile(r"^\d+$", re.MULTILINE)
_BOOKMARK = re.compile(r"^bookmark:", re.MULTILINE)


class InvalidPage(Exception):
    """A numbered page (> 1) asked of a bookmarked collection: Canvas answers 404."""


def last_value(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value Rails keeps for a repeated plain parameter: the last one."""
    value = None
    for key, item in pairs:
        if key == name:
            value = item
    return value


def per_page(value: str | None) -> int:
    """``params[:per_page].to_i.clamp(1, 100)``, 10 when absent."""
    if value is None:
        return DEFAULT_PER_PAGE
    return min(max(ruby_to_i(value), 1), MAX_PER_PAGE)


def encode_bookmark(value: object) -> str:
    """The page token of a bookmark value (JSONToken.encode)."""
    raw = base64.urlsafe_b64encode(dumps(value).encode("utf-8")).rstrip(b"=")
    return "bookmark:" + raw.decode("ascii")


def decode_page(page: str | None) -> object | None:
    """The bookmark value a ``page`` parameter carries; None means the first page.

    A token that does not decode is the first page, as in Canvas; a page number above 1 raises
    InvalidPage.
    """
    if page is None or page == FIRST_PAGE:
        return None
    if _BOOKMARK.search(page):
        token = _BOOKMARK.sub("", page)
        try:
            padded = token + "=" * (-len(token) % 4)
            return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeError, RecursionError):  # nested too deeply
            return None
    if _NUMBERED.search(page) and ruby_to_i(page) > 1:
        raise InvalidPage(page)
    return None


def rails_params(pairs: Iterable[tuple[str, str]]) -> dict[str, object]:
    """Query pairs as Rack nests them: ``a[]`` collects a list, ``a[b]`` a hash, else last wins."""
    params: dict[str, object] = {}
    for key, value in pairs:
        base, _, rest = key.partition("[")
        if not rest:
            params[key] = value
        elif rest == "]":
            current = params.get(base)
            if isinstance(current, list):
                current.append(value)
            else:
                params[base] = [value]
        elif rest.endswith("]") and "[" not in rest:
            current = params.get(base)
            if not isinstance(current, dict):
                current = params[base] = {}
            current[rest[:-1]] = value
        else:
            params[key] = value
    return params


def _escape(text: str) -> str:
    return quote_plus(text, safe="~")


def _pair_query(value: object, prefix: str) -> str:
    if isinstance(value, list):
        if not value:
            return _escape(f"{prefix}[]") + "="
        return "&".join(_pair_query(item, f"{prefix}[]") for item in value)
    if isinstance(value, dict):
        return to_query(value, prefix)
    return f"{_escape(prefix)}={_escape('' if value is None else str(value))}"


def to_query(params: Mapping[str, object], namespace: str | None = None) -> str:
    """``Hash#to_query``: each key's pairs, sorted as strings, joined by ``&``."""
    parts = [
        _pair_query(value, f"{namespace}[{key}]" if namespace else key)
        for key, value in params.items()
    ]
    return "&".join(sorted(parts))


def link_header(
    base_url: str, query_pairs: Iterable[tuple[str, str]], pages: Mapping[str, str], per_page: int
) -> str:
    """The ``Link`` header value for the pages given (rel -> page token or number)."""
    kept = [(k, v) for k, v in query_pairs if k.partition("[")[0] not in EXCLUDED_FROM_LINKS]
    prefix = base_url + ("&" if "?" in base_url else "?")
    if kept:
        prefix += to_query(rails_params(kept)) + "&"
    links: dict[str, str] = {}
    size = 0
    for rel in _LINK_PRIORITY:
        page = pages.get(rel)
        if not page:
            continue
        url = f"{prefix}page={page}&per_page={per_page}"
        if size + len(url) > _MAX_LINKS_SIZE:
            break
        size += len(url)
        links[rel] = url
    return ",".join(f'<{links[rel]}>; rel="{rel}"' for rel in _LINK_ORDER if rel in links)
