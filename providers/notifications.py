"""What providers and applicants are told, by SMS and email in their own language: the texts
are templates/providers/notifications/<message>_sms.txt, _subject.txt and _email.txt."""

from core.notifications import notify_user


def tell_provider(provider, message: str, **context) -> None:
    """Send `message` to the provider (loaded with its user); the templates see `provider`
    and `context`."""
    notify_user(
        user=provider.user,
        template=f"providers/notifications/{message}",
        context={"provider": provider, **context},
    )
