"""django-allauth adapter: no open sign-up; people join through invitations; allauth's
e-mails (password reset, address confirmation) go out in the recipient's language."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from core.models import User


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render in the language of the account the address belongs to: the page that
        triggered the e-mail may be in another language (a colleague resetting a password
        from a shared computer). Without an account, the page's language is the best guess."""
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
