import factory
from allauth.account.models import EmailAddress

from core.models import Membership, MemberState, Organisation, Role, User

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def member(
    role: str,
    *,
    state: str | None = None,
    organisation: str | None = None,
    expires_at=None,
    **user_fields,
) -> User:
    """A user holding one role (state given by ISO3, organisation by acronym)."""
    user = UserFactory(**user_fields)
    Membership.objects.create(
        user=user,
        role=role,
        state=MemberState.objects.get(iso3=state) if state else None,
        organisation=Organisation.objects.get(acronym=organisation) if organisation else None,
        expires_at=expires_at,
    )
    return user


__all__ = ["PASSWORD", "Role", "UserFactory", "member"]
