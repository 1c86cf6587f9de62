"""What a setting is: its name, environment variable, type, default and production rule."""

import os
from dataclasses import dataclass
from typing import Any

#: Type names as the deploy guide and ``flask config show`` print them.
TYPE_NAMES = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "yes/no",
    list: "comma-separated list",
    dict: "mapping",
    tuple: "list",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class InInstance:
    """A default inside the instance folder, e.g. ``InInstance("index")`` -> instance/index."""

    def __init__(self, name, prefix=""):
        self.name = name
        self.prefix = prefix

    def __call__(self, context):
        return self.prefix + os.path.join(context.instance_path, self.name)

    def __str__(self):
        return f"{self.prefix}instance/{self.name}"


class Computed:
    """A default computed when the settings are read; ``text`` says how, for the reader."""

    def __init__(self, function, text):
        self.function = function
        self.text = text

    def __call__(self, context):
        return self.function(context)

    def __str__(self):
        return self.text


@dataclass(frozen=True)
class Context:
    """What a default may depend on."""

    instance_path: str
    production: bool


_SAME = object()


@dataclass(frozen=True)
class Setting:
    """One setting of the portal.

    ``env`` is the environment variable that sets it (by default its own name;
    None: not settable from the environment, only from instance/portal.cfg).
    ``production`` says what production requires of it or how it differs there;
    ``production_default`` is its default in production, if that differs.
    ``secret`` settings are masked wherever they are shown. ``deploy`` marks
    the settings an operator sets on a node: docs/deploy.md documents them all.
    ``app`` is False for settings of a process around the app (gunicorn), which
    are read from the environment only.
    """

    name: str
    type: type
    default: Any
    help: str
    env: Any = _SAME
    production: str | None = None
    production_default: Any = _SAME
    secret: bool = False
    deploy: bool = False
    app: bool = True

    @property
    def variable(self):
        """Return the environment variable of this setting, or None."""
        return self.name if self.env is _SAME else self.env

    @property
    def type_name(self):
        return TYPE_NAMES.get(self.type, self.type.__name__)

    def default_value(self, context):
        """Return the default for ``context`` (an instance folder, in production or not)."""
        default = self.default
        if context.production and self.production_default is not _SAME:
            default = self.production_default
        return default(context) if callable(default) else default

    def default_text(self):
        """Return the default as the guide prints it."""
        text = _shown(self.default)
        if self.production_default is not _SAME:
            text += f" (production: {_shown(self.production_default)})"
        return text

    def value(self, context, environ=None):
        """Return the value from the environment, else the default."""
        environ = os.environ if environ is None else environ
        raw = environ.get(self.variable) if self.variable else None
        if raw is None or raw.strip() == "":
            return self.default_value(context)
        return self.parse(raw)

    def parse(self, raw):
        """Return ``raw`` (text from the environment) as this setting's type; RuntimeError if it is not one."""
        raw = raw.strip()
        if self.type is str:
            return raw
        if self.type is list:
            return [item.strip() for item in raw.split(",") if item.strip()]
        if self.type is bool:
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
        else:
            try:
                return self.type(raw)
            except ValueError:
                pass
        raise RuntimeError(f"{self.variable} must be a {self.type_name} (not {raw!r})")


def _shown(default):
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return "yes" if default else "no"
    if isinstance(default, (list, tuple)):
        return ",".join(map(str, default)) or "empty"
    if default == "":
        return "empty"
    return str(default)
