"""Which template serves a message, and the parameters that fill it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kit import ConnectorError, ErrorCode
from .settings import RouteSettings, Template

GENERIC = "Generic"


def choose_template(route: RouteSettings, usage_type: str) -> Template:
    """The template for ``usage_type``; else the Generic one; else ``template_not_found``."""
    template = route.templates.get(usage_type) or route.templates.get(GENERIC)
    if template is None:
        where = "international.templates" if route.name == "international" else "templates"
        raise ConnectorError(
            ErrorCode.TEMPLATE_NOT_FOUND,
            f"no template for usageType {usage_type} and no Generic template in {where}; "
            f"add one for {usage_type} or a Generic one",
            {"usageType": usage_type, "route": route.name},
        )
    return template


def template_params(template: Template, payload: Mapping[str, Any]) -> list[str]:
    """TemplateParamSet: the payload values the template names, in order, as strings.

    Only the named keys go out, so ``locale`` or ``uiLocales`` never become an extra
    parameter that a one-placeholder template would refuse.
    """
    values: list[str] = []
    for key in template.params:
        value = payload.get(key)
        if value is None:
            raise ConnectorError(
                ErrorCode.INSUFFICIENT_REQUEST_PARAMETERS,
                f"payload has no {key!r}, which template {template.template_id} "
                f"({template.usage_type}) needs for {{{len(values) + 1}}}",
                {"missing": key, "templateId": template.template_id},
            )
        values.append(value if isinstance(value, str) else str(value))
    return values
