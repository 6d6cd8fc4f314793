"""E-mails rendered in the recipient's language and sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(*, template: str, to: str, language: str, context: dict) -> None:
    """Render `emails/<template>_subject.txt` and `emails/<template>.txt` in `language`
    and send them once the current transaction commits."""

    def _send() -> None:
        with translation.override(language):
            subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
            body = render_to_string(f"emails/{template}.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])

    transaction.on_commit(_send)
