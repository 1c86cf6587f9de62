"""Cross-cutting web behaviour: error pages, headers, template globals."""


def init_app(app):
    pass
