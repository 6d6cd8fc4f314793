from django import template

register = template.Library()


@register.filter
def get_label(labels: dict, name: str) -> str:
    """The translated label of a contact field."""
    return labels.get(name, name)
