"""Languages: Chinese first, complete English (Flask-Babel 4)."""

from flask import request

from portal.extensions import babel


def select_locale():
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)
