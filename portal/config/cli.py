"""``flask config show``: the effective settings of this instance, secrets masked."""

import os
from urllib.parse import urlsplit, urlunsplit

import click
from flask import current_app
from flask.cli import AppGroup

from portal.config.load import SECTIONS, context, server_setting
from portal.config.settings import DEV_SECRET_KEY

config_cli = AppGroup("config", help="Inspect the portal's settings.")

MASK = "********"


def shown_value(setting, value):
    """Return ``value`` as ``flask config show`` prints it: secrets and passwords in URLs masked."""
    if setting.secret:
        if value == DEV_SECRET_KEY:
            return "(the development secret)"
        return f"{MASK} (set)" if value else "(not set)"
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "(none)"
    if isinstance(value, str) and "://" in value:
        return mask_password(value)
    return str(value)


def mask_password(url):
    """Return ``url`` with the password of its user, if any, masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def effective_settings(config, instance_path, environ=None):
    """Return (section title, setting, value as shown, where it came from) for every setting."""
    environ = os.environ if environ is None else environ
    here = context(instance_path, environ)
    rows = []
    for title, section in SECTIONS:
        for setting in section:
            value = config.get(setting.name) if setting.app else server_setting(setting.name, environ)
            raw = environ.get(setting.variable, "").strip() if setting.variable else ""
            if raw and setting.parse(raw) == value:
                source = "environment"
            elif value == setting.default_value(here):
                source = "default"
            else:
                source = "portal.cfg or derived"
            rows.append((title, setting, shown_value(setting, value), source))
    return rows


@config_cli.command("show")
def show_command():
    """Print every setting's effective value, where it came from and its variable."""
    rows = effective_settings(current_app.config, current_app.instance_path)
    width = max(len(setting.name) for _, setting, _, _ in rows)
    section = None
    for title, setting, value, source in rows:
        if title != section:
            click.echo(f"\n# {title}" if section else f"# {title}")
            section = title
        variable = f"${setting.variable}" if setting.variable else "(portal.cfg only)"
        click.echo(f"{setting.name:<{width}}  {value}  [{source}; {variable}]")


@config_cli.command("describe")
def describe_command():
    """Print every setting: its variable, type, default, production rule and meaning."""
    for number, (title, section) in enumerate(SECTIONS):
        click.echo(f"\n# {title}" if number else f"# {title}")
        for setting in section:
            variable = f"${setting.variable}" if setting.variable else "portal.cfg only"
            node = "; set per deployment (docs/deploy.md)" if setting.deploy else ""
            click.echo(f"{setting.name} ({variable}, {setting.type_name}, default {setting.default_text()}{node})")
            click.echo(f"    {setting.help}")
            if setting.production:
                click.echo(f"    production: {setting.production}")
