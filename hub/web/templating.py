"""Rendering the console's Jinja2 templates with the viewer's language, CSRF token and navigation."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.users.sessions import Session
from hub.web import i18n
from hub.web.pages import PAGES, page

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)


def language_for(request: Request, session: Session | None) -> str:
    """The user's language; before login, the browser's first offered language the console has."""
    if session is not None:
        return session.user.language
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in i18n.LANGUAGES:
            return code
    return i18n.DEFAULT_LANGUAGE


def render(request: Request, template: str, *, session: Session | None, status_code: int = 200,
           headers: dict[str, str] | None = None, language: str | None = None, **context) -> HTMLResponse:
    """`language` chosen by the page itself (the self-service page's switch) wins over the viewer's."""
    language = language if language in i18n.LANGUAGES else language_for(request, session)
    catalogue = i18n.catalogue(language)
    user = session.user if session else None
    html = _environment.get_template(template).render(
        request=request, session=session, user=user, lang=language, languages=i18n.LANGUAGES, t=catalogue.t,
        money=lambda minor, currency: i18n.format_money(minor, currency, language),
        number=lambda value: i18n.format_number(value, language),
        date=lambda value: i18n.format_date(value, language),
        csrf_token=session.csrf_token if session else context.pop("csrf_token", ""),
        hx_headers=json.dumps({"X-CSRF-Token": session.csrf_token}) if session else None,
        nav=[p for p in PAGES if user and user.may(p.permission)], page=page,
        current_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)
