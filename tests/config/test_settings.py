"""One configuration: every setting declared once (portal/config/), shown by `flask config show`, documented for deployment."""

import re
from pathlib import Path

import pytest

from portal import create_app
from portal.config import SETTINGS, defaults
from portal.config.cli import effective_settings

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
#: Settings Flask and its extensions define themselves, which the portal only reads.
FRAMEWORK_SETTINGS = {"DEBUG", "TESTING"}


def make_app(tmp_path, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.db'}",
            "INDEX_DIR": str(tmp_path / "index"),
            **settings,
        }
    )


def python_sources():
    return [path for path in PORTAL.rglob("*.py") if "translations" not in path.parts]


def test_every_setting_is_declared_once():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    variables = [setting.variable for setting in SETTINGS if setting.variable]
    assert len(variables) == len(set(variables))


def test_no_setting_is_defined_outside_the_configuration():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_sources()
        # portal.testing is the tests' and benchmarks' own server, which reads CI and passes the environment on.
        if PORTAL / "config" not in path.parents and PORTAL / "testing" not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"config\.setdefault\(|os\.environ|os\.getenv", line)
    ]
    assert offenders == []


def test_every_setting_the_code_reads_is_declared():
    read = set()
    for path in python_sources():
        read |= set(re.findall(r"config(?:\[|\.get\()\"([A-Z][A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
    for path in (ROOT / "templates").rglob("*.html"):
        read |= set(re.findall(r"\bconfig\.([A-Z][A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    declared = {setting.name for setting in SETTINGS}
    assert read - declared - FRAMEWORK_SETTINGS == set()


def test_the_environment_sets_a_setting_with_its_type(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNC_RETRIES", "5")
    monkeypatch.setenv("SYNC_RETRY_BACKOFF_SECONDS", "0.5")
    monkeypatch.setenv("DOWNLOADS_AFTER_SYNC", "no")
    monkeypatch.setenv("TRUSTED_HOSTS", "a.example.gov.cn, b.example.gov.cn")
    monkeypatch.setenv("API_PAGE_SIZE", "")  # empty is unset
    settings = defaults(str(tmp_path))
    assert settings["SYNC_RETRIES"] == 5
    assert settings["SYNC_RETRY_BACKOFF_SECONDS"] == 0.5
    assert settings["DOWNLOADS_AFTER_SYNC"] is False
    assert settings["TRUSTED_HOSTS"] == ["a.example.gov.cn", "b.example.gov.cn"]
    assert settings["API_PAGE_SIZE"] == 100
    assert settings["EVIDENCE_DIR"] == str(tmp_path / "evidence")


@pytest.mark.parametrize("variable, value", [("SYNC_RETRIES", "three"), ("RATELIMIT_ENABLED", "maybe")])
def test_a_malformed_variable_refuses_to_start_with_its_name(monkeypatch, tmp_path, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=variable):
        defaults(str(tmp_path))


def test_production_requires_the_contact_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://credit.example.gov.cn")
    monkeypatch.delenv("COMPLAINT_CONTACT_KEY", raising=False)
    with pytest.raises(RuntimeError, match="COMPLAINT_CONTACT_KEY"):
        make_app(tmp_path, SECRET_KEY="a real secret")


def test_config_show_prints_every_setting_with_secrets_masked(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNC_RETRIES", "4")
    contact_key = "Q2xWv0nTy1yJmXlH3cQ9c0a2b5b4tE3kZf0m7u6Yx8s="
    app = make_app(
        tmp_path,
        SECRET_KEY="a-session-secret-of-the-test",
        COMPLAINT_CONTACT_KEY=contact_key,
        SCORING_DATABASE_URL="postgresql+psycopg://reader:pass-of-the-test@scoring.example/scoring",
        SYNC_RETRIES=4,
        LIST_PAGE_SIZE=30,
    )
    result = app.test_cli_runner().invoke(args=["config", "show"])
    assert result.exit_code == 0, result.output
    for setting in SETTINGS:
        assert re.search(rf"^{setting.name}\s", result.output, re.M), setting.name
    assert "a-session-secret-of-the-test" not in result.output
    assert contact_key not in result.output
    assert "pass-of-the-test" not in result.output
    assert "postgresql+psycopg://reader:********@scoring.example/scoring" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith("#")}
    assert "[environment; $SYNC_RETRIES]" in lines["SYNC_RETRIES"]
    assert "[default; $SYNC_CHUNK_SIZE]" in lines["SYNC_CHUNK_SIZE"]
    assert "portal.cfg or derived" in lines["LIST_PAGE_SIZE"]
    assert "$PORTAL_DATABASE_URL" in lines["SQLALCHEMY_DATABASE_URI"]


def test_config_describe_prints_every_setting_with_its_rule(tmp_path):
    result = make_app(tmp_path).test_cli_runner().invoke(args=["config", "describe"])
    assert result.exit_code == 0, result.output
    for setting in SETTINGS:
        assert re.search(rf"^{setting.name} \(", result.output, re.M), setting.name
    assert "SECRET_KEY ($SECRET_KEY, text, default dev-only-not-secret; set per deployment" in result.output
    assert "    production: required: the development secret refuses to start" in result.output
    assert "SESSION_COOKIE_SECURE ($SESSION_COOKIE_SECURE, yes/no, default no (production: yes)" in result.output


def test_effective_settings_name_a_setting_only_a_file_can_set(tmp_path):
    app = make_app(tmp_path)
    rows = {setting.name: (value, source) for _, setting, value, source in effective_settings(app.config, app.instance_path, {})}
    assert rows["LANGUAGES"] == ("zh,en", "default")
    assert rows["STAFF_TOTP_KEY"] == ("(not set)", "default")


def environment_table():
    """Return {variable: its row} of the Environment table of docs/deploy.md."""
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = guide.split("\n## Environment\n", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for variable in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
                table[variable] = line
    return table


def test_the_deploy_guide_documents_every_deployment_setting():
    table = environment_table()
    deployment = [setting for setting in SETTINGS if setting.deploy or setting.production]
    assert [setting.variable for setting in deployment if setting.variable not in table] == []
    # A production rule is said where the setting is documented.
    assert [
        setting.variable
        for setting in deployment
        if setting.production and "production" not in table[setting.variable].lower()
        and setting.variable != "PORTAL_ENV"
    ] == []


def test_the_deploy_guide_names_no_unknown_setting():
    variables = {setting.variable for setting in SETTINGS if setting.variable}
    assert set(environment_table()) - variables == set()


def test_a_pdf_wait_and_render_longer_than_gunicorns_timeout_is_refused(tmp_path):
    from portal.config import check_web_timeout

    config = defaults(str(tmp_path), environ={})
    # The defaults fit inside the default WEB_TIMEOUT, with room to spare.
    check_web_timeout(config, 30)
    config["REPORT_PDF_WAIT_SECONDS"] = 20
    with pytest.raises(RuntimeError, match="WEB_TIMEOUT"):
        check_web_timeout(config, 30)
