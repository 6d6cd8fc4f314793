"""E-mails rendered in the recipient's language and sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def render_subject(template: str, language: str, context: dict) -> str:
    """The e-mail's subject line in `language`; also the in-app notification text."""
    with translation.override(language):
        return render_to_string(f"emails/{template}_subject.txt", context).strip()


def send_templated_mail(*, template: str, to: str, language: str, context: dict) -> None:
    """Render `emails/<template>_subject.txt` and `emails/<template>.txt` in `language`
    and send them once the current transaction commits."""

    def _send() -> None:
        subject = render_subject(template, language, context)
        with translation.override(language):
            body = render_to_string(f"emails/{template}.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])

    transaction.on_commit(_send)
