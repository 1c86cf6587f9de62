"""gunicorn settings for the web process (``gunicorn -c gunicorn.conf.py wsgi:app``).

Workers only read: the scheduler is a separate process (see Procfile), so no
worker ever runs a sync or writes the index.
"""

from portal.config import check_web_timeout, server_setting

# Each setting's variable, default and meaning: portal/config/settings.py (WEB_PROCESS).
# PORTAL_BIND, not PORT: honcho sets PORT for every process it starts.
bind = server_setting("PORTAL_BIND")
workers = server_setting("WEB_CONCURRENCY")
worker_class = "sync"
timeout = server_setting("WEB_TIMEOUT")
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = server_setting("WEB_MAX_REQUESTS")
max_requests_jitter = 2000
# create_app() opens no database connection and no index, so the app can be
# loaded once in the master and shared copy-on-write by the workers.
preload_app = True
# gunicorn 27 would otherwise open a control socket in the home folder.
control_socket_disable = True
# gunicorn believes no proxy header (it would take X-Forwarded-Proto and SCRIPT_NAME from any
# loopback peer): the application alone decides, from TRUSTED_PROXY_HOPS (portal/origin.py).
forwarded_allow_ips = ""
accesslog = server_setting("WEB_ACCESS_LOG")
errorlog = "-"
loglevel = server_setting("WEB_LOG_LEVEL")


def when_ready(server):
    """Load jieba's dictionary in the master, before the workers fork.

    The workers then share it copy-on-write, and no visitor's first search
    pays the second it takes to load. It touches no database and no index.
    """
    import gc

    from portal.search.analysis import initialize_jieba

    app = server.app.wsgi()
    check_web_timeout(app.config, server.cfg.timeout)
    initialize_jieba(app.config["JIEBA_CACHE_DIR"])
    # Move what is loaded so far out of the collector's reach: a collection in
    # a worker would otherwise write to every shared object's header and copy
    # its page into the worker (the Python documentation's advice for forking
    # servers).
    gc.freeze()


def post_fork(server, worker):
    """Give each worker its own database connections: none may cross a fork."""
    from portal.database import all_engines
    from portal.scoring import dispose_engines

    for engine in all_engines(worker.app.wsgi()):
        engine.dispose(close=False)
    dispose_engines()
