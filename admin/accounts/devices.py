"""Device cookies, OWASP's answer to lockout attacks: a browser where a person signed in before
carries a token bound to that person, and its failed logins are counted on their own. A stranger's
guesses at the name lock out other strangers, never the person in a browser they already used.

The token is keyed by the person's password hash, so a new password (an admin's reset) retires every
device token, and no secret beyond the database needs sharing between gateway processes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from admin.accounts.models import User

COOKIE_NAME = "gw_admin_device"
MAX_AGE_SECONDS = 180 * 24 * 3600


def _mac(user: User, nonce: str) -> str:
    key = hashlib.sha256(f"device-cookie:{user.id}:{user.password_hash}".encode()).digest()
    return hmac.new(key, f"{user.name}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def issue_device_token(user: User) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_mac(user, nonce)}"


def trusted_device(user: User | None, token: str | None) -> str | None:
    """The device's id when `token` was issued to `user` (and is still valid), else None."""
    if user is None or not token or token.count(".") != 1:
        return None
    nonce, mac = token.split(".")
    return nonce if hmac.compare_digest(mac, _mac(user, nonce)) else None
