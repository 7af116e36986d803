"""Inspector login sessions, revocable: a random id in the cookie, its digest in the store.

The store is shared by every worker process, so a logout on one ends the session on all.
The digest is keyed with the admin token: the database never holds a usable cookie, and a
server restarted with another token finds none of the old sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sandbox.clock import Clock
from sandbox.store.sessions import SessionRepository

SESSION_LIFETIME = 7 * 24 * 3600  # seconds a login lasts at most; logging out ends it sooner
MAX_SESSION_ID = 128  # characters: a longer cookie is not a session of ours, nor looked up


class Sessions:
    def __init__(self, token: str, repository: SessionRepository, clock: Clock) -> None:
        self._key = token.encode()
        self._repository = repository
        self._clock = clock

    def _digest(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def open(self) -> str:
        """A new session: answer the id the cookie carries."""
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        self._repository.open(self._digest(session_id), now=now,
                              expired_before=now - SESSION_LIFETIME)
        return session_id

    def is_open(self, session_id: str) -> bool:
        if not 0 < len(session_id) <= MAX_SESSION_ID:
            return False
        return self._repository.is_open(self._digest(session_id),
                                        opened_after=self._now() - SESSION_LIFETIME)

    def close(self, session_id: str) -> None:
        if 0 < len(session_id) <= MAX_SESSION_ID:
            self._repository.close(self._digest(session_id))
