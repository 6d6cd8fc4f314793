"""E-mails rendered in the recipient's language and sent by a Celery task after the
transaction commits, so that a mail server that is down delays the e-mail instead of failing
the request that caused it."""

from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation


def render_subject(template: str, language: str, context: dict) -> str:
    """The e-mail's subject line in `language`; also the in-app notification text. Plain
    text, not HTML: rendered without escaping, or "Democratic People's Republic of Korea"
    would arrive as "People&#x27;s" (and the notification page would escape it twice)."""
    with translation.override(language):
        source = get_template(f"emails/{template}_subject.txt").template
        return source.render(Context(context, autoescape=False)).strip()


def send_templated_mail(*, template: str, to: str, language: str, context: dict) -> None:
    """Render `emails/<template>_subject.txt` and `emails/<template>.txt` in `language` now
    (the context holds model objects) and queue the sending once the current transaction
    commits; `core.tasks.send_email` retries while the mail server is unreachable."""
    from core.tasks import send_email

    subject = render_subject(template, language, context)
    with translation.override(language):
        body = render_to_string(f"emails/{template}.txt", context)
    # robust: with in-process tasks (no broker), a failed e-mail is logged by Django and
    # neither fails the committed request nor stops the callbacks queued after it.
    transaction.on_commit(
        lambda: send_email.delay(subject=subject, body=body, to=[to]), robust=True
    )
