"""What can go wrong with accounts and logins, one exception type each."""

from __future__ import annotations


class AccountError(Exception):
    """Base of account errors; the message is safe to show to the person who caused it."""


class UserExists(AccountError):
    pass


class UnknownUser(AccountError):
    pass


class InvalidAccount(AccountError):
    """A name, role or password that cannot be accepted."""


class LoginFailed(AccountError):
    """Wrong name or password, or a disabled account (deliberately indistinguishable)."""


class LoginThrottled(AccountError):
    """Too many failed logins for this user name or address; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
