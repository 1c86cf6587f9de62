"""Entry point for the flask command: ``flask --app app <command>``."""

from portal import create_app

app = create_app()
