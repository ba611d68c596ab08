"""Database URLs as heldout shows and records them: without their password.

>>> without_password("postgresql://ana:secret@db.example:5432/studies?sslmode=require&password=x")
'postgresql://ana@db.example:5432/studies?sslmode=require'
>>> blanked("could not connect as ana:secret", "postgresql://ana:secret@db/studies")
'could not connect as ana:***'
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit


def without_password(url: str) -> str:
    """``url`` with no password, in its user part or its query: safe to print and to record."""
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    netloc = (user.partition(":")[0] + at + host) if at else host
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def password(url: str) -> str | None:
    """The password written in ``url``, if any (to blank it out of messages)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return parts.password or query.get("password") or None


def blanked(text: str, url: str) -> str:
    """``text`` (a driver's message about ``url``) with the URL's password blanked out, as written
    in the URL and as meant."""
    secret = password(url)
    for written in {secret, unquote(secret)} if secret else ():
        text = text.replace(written, "***")
    return text
