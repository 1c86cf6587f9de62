"""Who runs the site: the trust marks of a 政府网站 shown in every page's footer and on /about.

Every value comes from configuration (portal/config/features.py); one left unset is
shown with the demo's example value and labelled as an example, so that a
demo can never pass for the real site.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.config.features import SITE_IDENTITY_EXAMPLES

#: The footer's lines, in the order 政府网站 show them, with the address a number links to.
LABELS = {
    "SITE_SPONSOR": _l("Sponsor"),
    "SITE_OPERATOR": _l("Operated by"),
    "SITE_IDENTIFIER": _l("Website identification code"),
    "SITE_ICP_NUMBER": _l("ICP filing"),
    "SITE_PUBLIC_SECURITY_NUMBER": _l("Public security filing"),
    "SITE_CONTACT_PHONE": _l("Telephone"),
    "SITE_CONTACT_EMAIL": _l("E-mail"),
    "SITE_CONTACT_ADDRESS": _l("Address"),
}
LINKS = {
    "SITE_ICP_NUMBER": "https://beian.miit.gov.cn/",
    "SITE_PUBLIC_SECURITY_NUMBER": "https://beian.mps.gov.cn/",
}


def site_identity():
    """Return the trust marks as a dict of name -> {label, value, example, href}."""
    config = current_app.config
    marks = {}
    for name, example in SITE_IDENTITY_EXAMPLES.items():
        value = config.get(name)
        href = LINKS.get(name)
        if name == "SITE_CONTACT_EMAIL":
            href = f"mailto:{value or example}"
        elif name == "SITE_CONTACT_PHONE":
            href = "tel:" + "".join(character for character in (value or example) if character.isdigit() or character == "+")
        marks[name] = {"label": LABELS[name], "value": value or example, "example": not value, "href": href}
    return marks


def any_example():
    """Tell whether any trust mark still shows its example (a demo, or a deployment not finished)."""
    return any(not current_app.config.get(name) for name in SITE_IDENTITY_EXAMPLES)


def init_app(app):
    app.context_processor(lambda: {"site_identity": site_identity, "site_identity_is_example": any_example})
