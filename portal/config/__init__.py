"""Every setting of the portal, with the environment variable that sets it.

Order of precedence (see ``create_app``): the defaults, then the environment
(both through ``defaults``), then ``instance/portal.cfg`` if present, then a
test mapping; ``check_production`` and ``complete`` run last. The settings
themselves are tables of ``Setting`` in ``settings.py`` and ``features.py``;
``flask config show`` prints the effective values, secrets masked.
"""

from portal.config.load import (
    DEVELOPMENT_HOSTS,
    SECTIONS,
    SETTINGS,
    check_production,
    check_web_timeout,
    complete,
    defaults,
    development_base_url,
    public_base_url,
    server_setting,
)
from portal.config.setting import Context, Setting
from portal.config.settings import DEV_SECRET_KEY



def init_app(app):
    """Register ``flask config``."""
    from portal.config.cli import config_cli

    app.cli.add_command(config_cli)


__all__ = [
    "DEVELOPMENT_HOSTS",
    "DEV_SECRET_KEY",
    "SECTIONS",
    "SETTINGS",
    "Context",
    "Setting",
    "check_production",
    "check_web_timeout",
    "complete",
    "defaults",
    "development_base_url",
    "init_app",
    "public_base_url",
    "server_setting",
]
