"""Public pages are cached per publication state, and never served after it moves."""

from portal.extensions import db
from portal.sync import service


def sync(app):
    with app.app_context():
        result = service.run_sync(trigger="test", update_index=False)
    assert result.status == "succeeded"


def test_report_is_cached_until_the_next_sync_and_gone_after_it(app, client, scoring):
    app.config["PAGE_CACHE_SIZE"] = 10
    uscc = scoring.organisation(1, name="北京市缓存测试协会", grade="B")
    sync(app)
    first = client.get(f"/org/{uscc}")
    assert first.status_code == 200 and "北京市缓存测试协会" in first.get_data(as_text=True)
    # A change in the portal DB without a sync is not published: the cached page stays.
    with app.app_context():
        db.session.execute(db.text("UPDATE organisations SET name = 'X' WHERE uscc = :u"), {"u": uscc})
        db.session.commit()
    assert client.get(f"/org/{uscc}").get_data() == first.get_data()
    # The next sync moves the publication state: the page is rendered again.
    scoring.tick(days=1)
    scoring.score(uscc, "C")
    sync(app)
    assert client.get(f"/org/{uscc}").status_code == 404
    assert uscc not in client.get("/orgs").get_data(as_text=True)


def test_cache_keeps_languages_apart_and_answers_304(app, client, scoring):
    app.config["PAGE_CACHE_SIZE"] = 10
    uscc = scoring.organisation(1, grade="A")
    sync(app)
    chinese = client.get(f"/org/{uscc}?lang=zh")
    english = client.get(f"/org/{uscc}?lang=en")
    assert chinese.get_data() != english.get_data()
    by_cookie = {}
    for language in ("en", "zh"):
        client.set_cookie("lang", language)
        by_cookie[language] = client.get(f"/org/{uscc}").get_data(as_text=True)
    client.delete_cookie("lang")
    assert '<html lang="en"' in by_cookie["en"] and '<html lang="en"' not in by_cookie["zh"]
    # 长辈版 is a page of its own too.
    client.set_cookie("large_text", "1")
    assert 'class="large-text"' in client.get(f"/org/{uscc}?lang=zh").get_data(as_text=True)
    client.delete_cookie("large_text")
    assert 'class="large-text"' not in client.get(f"/org/{uscc}?lang=zh").get_data(as_text=True)
    etag = english.headers["ETag"]
    revalidated = client.get(f"/org/{uscc}?lang=en", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert client.get(f"/org/{uscc}?lang=zh", headers={"If-None-Match": etag}).status_code == 200
    # The page, its copy from the cache and the 304 all tell caches that the language comes from these headers.
    cached_english = client.get(f"/org/{uscc}?lang=en")
    assert cached_english.get_data() == english.get_data()
    for response in (english, cached_english, revalidated):
        assert set(response.vary) == {"Accept-Language", "Cookie"}


def test_cache_is_bounded(app, client, scoring):
    app.config["PAGE_CACHE_SIZE"] = 2
    usccs = [scoring.organisation(number, grade="A") for number in range(1, 5)]
    sync(app)
    for uscc in usccs:
        assert client.get(f"/org/{uscc}").status_code == 200
    assert len(app.extensions["page_cache"].pages) == 2


def test_search_pages_are_cached_only_while_the_index_has_caught_up(app, client, scoring):
    app.config["PAGE_CACHE_SIZE"] = 10
    scoring.organisation(1, name="北京市蓝天协会", grade="A")
    with app.app_context():
        assert service.run_sync(trigger="test").index["version"] == 1
    assert client.get("/search?q=蓝天").status_code == 200
    assert len(app.extensions["page_cache"].pages) == 1
    # The database moves on but this node's index has not caught up yet.
    with app.app_context():
        db.session.execute(db.text("UPDATE publication_state SET version = 2"))
        db.session.commit()
    assert client.get("/search?q=蓝天").status_code == 200
    cache = app.extensions["page_cache"]
    assert cache.state[0] == 1  # nothing was served from or stored for version 2
