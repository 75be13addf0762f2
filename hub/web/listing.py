"""What the console's list pages share: links that keep the filters, and day ranges typed in a form.

A list's filters, sort and cursor live in its URL, so a link to page 7 of a search can be
mailed and opens the same page; `link()` builds the next and previous page's URLs from
the current query with one value changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable
from urllib.parse import urlencode

from fastapi import Request

from hub.store.paging import Page, PagingError
from hub.store.timeutil import iso

PAGE_SIZE = 50


def link(request: Request, **changes: str | None) -> str:
    """This page's URL with `changes` applied (None removes a parameter); empty values are dropped."""
    params = {k: v for k, v in request.query_params.items() if v}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def keyset_page(fetch: Callable[..., Page], sort: str, cursor: str) -> tuple[Page, str | None]:
    """The page `fetch(sort=, cursor=)` gives for the URL's sort and cursor, or, when they are not
    this list's (a link edited or from another sort), its first page and the catalogue key saying so."""
    try:
        return fetch(sort=sort or None, cursor=cursor or None), None
    except PagingError:
        return fetch(sort=None, cursor=None), "list.bad_cursor"


def day_start(text: str | None) -> str | None:
    """A `YYYY-MM-DD` from a date field as the start of that UTC day; raises ValueError if it is no date."""
    if not text:
        return None
    return iso(dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc))


def day_end(text: str | None) -> str | None:
    """A `YYYY-MM-DD` as the start of the next UTC day (the range's exclusive end)."""
    if not text:
        return None
    return iso(dt.datetime.combine(dt.date.fromisoformat(text) + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
