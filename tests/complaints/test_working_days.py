"""Working-day deadlines on the Chinese holiday calendar (portal/working_days.py, chinesecalendar + the reviewed override file)."""

from datetime import date, datetime

import pytest

from portal import create_app, working_days
from portal.working_days import add_working_days, due_after_working_days, missing_schedule
from tests.staff.support import create_staff, staff_app  # noqa: F401 (staff_app is a fixture)
from tests.staff.test_views import client_as


def test_the_2026_national_day_holiday_and_its_adjusted_saturday():
    # The State Council's notice for 2026 (国办发明电〔2025〕7号): National Day, 1–7 October (Thursday to
    # Wednesday) off; Sunday 20 September and Saturday 10 October are working days (调休). The Mid-Autumn
    # Festival is 25–27 September, a Friday to a Sunday.
    assert working_days.is_working_day(date(2026, 9, 20))
    assert not working_days.is_working_day(date(2026, 9, 25))
    assert not working_days.is_working_day(date(2026, 10, 1))
    assert not working_days.is_working_day(date(2026, 10, 7))
    assert working_days.is_working_day(date(2026, 10, 8))
    assert working_days.is_working_day(date(2026, 10, 10))
    assert not working_days.is_working_day(date(2026, 10, 11))
    # Submitted on Wednesday 30 September: the 5 working days are 8, 9, 10 (Saturday), 12 and 13 October.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # 10:00 Beijing on 30 September is 02:00 UTC; the deadline is the end of 13 October, Beijing time.
    assert due_after_working_days(datetime(2026, 9, 30, 2, 0), 5) == datetime(2026, 10, 13, 15, 59, 59)
    # Counting Monday to Friday only would have said 7 October, in the middle of the holiday.
    assert add_working_days(date(2026, 9, 30), 5, working=_weekdays_only()) == date(2026, 10, 7)


def _weekdays_only():
    class Weekdays:
        def is_working_day(self, day):
            return day.weekday() < 5

    return Weekdays()


def test_a_year_missing_from_the_calendar_counts_weekdays_and_is_reported(tmp_path):
    empty = tmp_path / "schedule.toml"
    empty.write_text("")
    working = working_days.calendar(str(empty))
    assert working.covers(2026) and not working.covers(2099)
    # A fixed clock: 2099 is in no schedule; its deadlines count Monday to Friday.
    assert add_working_days(date(2099, 1, 2), 1, working=working) == date(2099, 1, 5)  # Friday -> Monday
    assert missing_schedule(date(2099, 3, 1), str(empty)) == 2099
    # Next year is expected from 1 December on, not before.
    assert missing_schedule(date(2026, 11, 30), str(empty)) is None
    assert missing_schedule(date(2026, 12, 1), str(empty)) == 2027


def test_the_override_file_fills_a_missing_year(tmp_path):
    # Test data for a fictional year: the real file takes only dates copied from a State Council notice.
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(
        '[[year]]\nyear = 2099\nsource = "a test notice"\nreviewed = "a second reader, 2098-11-20"\n'
        "days_off = [2099-01-01, 2099-01-02]\nworking_days = [2099-01-03]\n"
    )
    working = working_days.calendar(str(schedule))
    assert working.covers(2099)
    assert not working.is_working_day(date(2099, 1, 1))  # a Thursday off
    assert working.is_working_day(date(2099, 1, 3))  # a Saturday at work
    assert add_working_days(date(2098, 12, 31), 1, working=working) == date(2099, 1, 3)
    assert missing_schedule(date(2099, 3, 1), str(schedule)) is None


@pytest.mark.parametrize(
    "text",
    [
        '[[year]]\nyear = 2099\nreviewed = "r"\ndays_off = [2099-01-01]\n',  # no source
        '[[year]]\nyear = 2099\nsource = "x"\ndays_off = [2099-01-01]\n',  # no reviewer
        '[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\ndays_off = [2098-01-01]\n',  # a date of another year
        '[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\ndays_off = [2099-01-03]\n',  # a Saturday "off"
        '[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\nworking_days = [2099-01-05]\n',  # a Monday "worked"
        '[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\n[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\n',
    ],
)
def test_a_malformed_override_file_is_refused(tmp_path, text):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(text)
    with pytest.raises(ValueError):
        working_days.calendar(str(schedule))


def test_the_repository_file_is_valid_and_every_year_names_its_source():
    for year, schedule in working_days.read_schedule().items():
        assert "国务院办公厅关于" in schedule.source and "节假日安排的通知" in schedule.source, year


def test_a_malformed_schedule_file_stops_the_start(tmp_path):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text('[[year]]\nyear = 2099\nsource = "x"\nreviewed = "r"\ndays_off = [2099-01-03]\n')

    with pytest.raises(ValueError, match="weekend"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "INDEX_DIR": str(tmp_path / "index"), "WORKING_DAYS_SCHEDULE_FILE": str(schedule)})


def test_the_console_and_the_status_page_say_when_next_years_schedule_is_missing(staff_app, monkeypatch, tmp_path):
    empty = tmp_path / "schedule.toml"
    empty.write_text("")
    staff_app.config["WORKING_DAYS_SCHEDULE_FILE"] = str(empty)
    with staff_app.app_context():
        create_staff("super1", "supervisor")
    # A fixed clock: 2 December 2099, when the schedule of 2100 is expected and is in no calendar.
    monkeypatch.setattr("portal.staff.views.queue.utcnow", lambda: datetime(2099, 12, 2, 2, 0))
    monkeypatch.setattr("portal.sync.views.utcnow", lambda: datetime(2099, 12, 2, 2, 0))
    english = {"Accept-Language": "en"}
    page = client_as(staff_app, "supervisor").get("/staff/", headers=english).get_data(as_text=True)
    assert "holiday schedule of 2099 is missing" in page
    page = staff_app.test_client().get("/status?lang=en").get_data(as_text=True)
    assert 'id="holiday-schedule"' in page
    # With the year known, no warning.
    monkeypatch.setattr("portal.sync.views.utcnow", lambda: datetime(2026, 6, 1, 2, 0))
    assert 'id="holiday-schedule"' not in staff_app.test_client().get("/status").get_data(as_text=True)


def test_on_7_december_2026_the_console_and_status_say_that_2027_is_missing(staff_app, monkeypatch):
    # chinesecalendar 1.11.0 stops at 2026, and the State Council's notice for 2027 is not in the
    # repository's override file (docs/deploy.md, "The holiday schedule", says how to add it): the warning
    # must show now. Once 2027 is added, the same pages must be silent about it.
    missing = not working_days.calendar().covers(2027)
    assert missing_schedule(date(2026, 12, 7)) == (2027 if missing else None)
    assert missing_schedule(date(2026, 11, 30)) is None
    with staff_app.app_context():
        create_staff("super1", "supervisor")
    today = datetime(2026, 12, 7, 2, 0)  # 10:00 in Beijing
    monkeypatch.setattr("portal.staff.views.queue.utcnow", lambda: today)
    monkeypatch.setattr("portal.sync.views.utcnow", lambda: today)
    console = client_as(staff_app, "supervisor").get("/staff/").get_data(as_text=True)
    status = staff_app.test_client().get("/status").get_data(as_text=True)
    assert ("2027" in console and 'id="holiday-schedule"' in console) == missing
    assert ('id="holiday-schedule"' in status and "2027" in status) == missing
