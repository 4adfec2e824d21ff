"""Notifications (filled in with the e-mail work)."""


def notifications_for(event) -> None:
    """Queue the e-mails a recorded event calls for, once its transaction commits."""
