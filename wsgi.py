"""Entry point for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:app``. No I/O at import."""

from portal import create_app

app = create_app()
