"""The gateway's one credential: a bearer token, compared in constant time."""

from __future__ import annotations

import hmac

SCHEME = "Bearer"


class BearerToken:
    """Checks ``Authorization: Bearer <token>`` headers against one token (never shown)."""

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token:
            raise ValueError("the token is empty")
        if any(ch.isspace() or not ch.isprintable() for ch in token):
            raise ValueError("the token must be printable text without spaces")
        self._token = token.encode("utf-8")

    def header(self) -> str:
        """The header value a client sends (what an admin types into Logto)."""
        return f"{SCHEME} {self._token.decode('utf-8')}"

    def accepts(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header carries this token (scheme case-insensitive)."""
        scheme, _, presented = (header or "").strip().partition(" ")
        ok_scheme = scheme.lower() == SCHEME.lower()
        # The comparison runs whatever the scheme, so timing says nothing about the token.
        same = hmac.compare_digest(presented.strip().encode("utf-8", "replace"), self._token)
        return ok_scheme and same

    def __repr__(self) -> str:
        return "BearerToken(***)"
