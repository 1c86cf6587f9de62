"""Invent organisations with their scores, credit events and list entries.

Every draw comes from one ``random.Random``, so a seed (and the day) reproduces
the same rows. Scores are made from the events exactly as the contract says
(``portal.rules.arithmetic``, docs/scoring-database.md "How a score is made"):
the generator chooses the events, never the score.
"""

import json
from datetime import date, timedelta

from stdnum.cn import uscc as uscc_number

from portal.demo import catalogue, name_words, names
from portal.demo.shape import (
    EVALUATION_LEVEL,
    EVENTS_FROM,
    EVENT_COUNT,
    FITTING_STEPS,
    GRADE,
    ITEM_POINTS,
    MINUS_ITEM,
    MUNICIPAL_SHARE,
    ORG_TYPE,
    PLUS_EVENT_CHANCE,
    REGISTRATION_YEAR,
    add_months,
    arithmetic_item,
    assessment_day,
    cents,
    counts,
    decimal_points,
    dimension_json,
    grade_for,
    night_moment,
    random_day,
)
from portal.reference import ORG_TYPE_USCC_PREFIX
from portal.rules.arithmetic import RuleDimension, score_from_items
from portal.scoring.schema import STATUS_CANCELLED, STATUS_NORMAL, STATUS_REVOKED

class Batch:
    """Rows invented for a batch of organisations, to be written together."""

    def __init__(self):
        self.organisations = []
        self.scores = []
        self.events = []
        self.list_entries = []


class OrganisationFactory:
    """Invent organisations and their history, drawing from one random stream."""

    def __init__(
        self, rng, today, taken_names=None, taken_codes=None, dimensions=None, bands=None
    ):
        self.rng = rng
        #: The day of the scoring run the rows are written for: nothing is stamped later.
        self.today = today
        #: ``names.name_key`` of every name and former name given out.
        self.taken_names = taken_names if taken_names is not None else set()
        self.taken_codes = taken_codes if taken_codes is not None else set()
        # (code, cap, base) in cents, in position order.
        self.dimensions = dimensions or [
            (code, max_points * 100, base * 100)
            for code, _, _, max_points, base in catalogue.DIMENSIONS
        ]
        self.rule_dimensions = [
            RuleDimension(code, decimal_points(base), decimal_points(cap))
            for code, cap, base in self.dimensions
        ]
        #: (grade, min, max) in cents, best first.
        self.bands = bands or sorted(
            ((grade, cents(low), cents(high)) for grade, low, high, _ in catalogue.GRADE_BANDS),
            key=lambda band: -band[1],
        )
        self.event_number = 0
        self.list_number = 0

    # Identity.

    def type_and_registrar(self):
        """Draw an organisation type and its registrar (110000 or a district code)."""
        org_type = ORG_TYPE.pick(self.rng)
        if self.rng.random() < MUNICIPAL_SHARE[org_type]:
            return org_type, name_words.MUNICIPAL
        return org_type, self.rng.choice(name_words.DISTRICT_CODES)

    def uscc(self, org_type, registrar_code):
        """Return a new valid USCC: type prefix, registrar, 9-digit code, stdnum check character."""
        while True:
            code = f"5{self.rng.randrange(10**8):08d}"
            if code not in self.taken_codes:
                self.taken_codes.add(code)
                break
        first17 = ORG_TYPE_USCC_PREFIX[org_type] + registrar_code + code
        return first17 + uscc_number.calc_check_digit(first17)

    def organisation_row(
        self, org_type, registrar, registered_on, status, updated_at, name=None, topic=None
    ):
        """Return a new organisations row (without history) and its topic."""
        rng = self.rng
        if name is None:
            name, topic = names.unique_organisation_name(rng, org_type, registrar, self.taken_names)
        else:
            self.taken_names.add(names.name_key(name))
        home = registrar if registrar != name_words.MUNICIPAL else rng.choice(name_words.DISTRICT_CODES)
        row = {
            "uscc": self.uscc(org_type, registrar),
            "name": name,
            "former_names": None,
            "org_type": org_type,
            "registration_authority": names.registration_authority(registrar),
            "district_code": registrar,
            "legal_representative": names.person_name(rng) if rng.random() < 0.99 else None,
            "registered_on": registered_on,
            "address": names.address(rng, home),
            "business_scope": names.business_scope(rng, org_type, topic, name),
            "supervising_unit": names.supervising_unit(rng, name, registrar),
            "evaluation_level": None,
            "evaluation_valid_from": None,
            "evaluation_valid_until": None,
            "registration_status": status,
            "updated_at": updated_at,
        }
        return row, topic

    def other_name(self, org):
        """Return a new, unused name the organisation ``org`` might have had or take."""
        return names.other_name(
            self.rng,
            org["org_type"],
            org["district_code"],
            org["name"],
            org["registered_on"],
            self.taken_names,
        )

    # A whole generated organisation.

    def generated_organisation(self, batch, index, inconsistent=False):
        """Invent organisation number ``index`` with its score, events and list entries."""
        rng = self.rng
        today = self.today
        anchor = index < len(name_words.ANCHOR_ORGANISATIONS)
        if anchor:
            name, topic, org_type, registrar = name_words.ANCHOR_ORGANISATIONS[index]
        else:
            name = topic = None
            org_type, registrar = self.type_and_registrar()
        registered_on = self.registration_day(org_type)
        status = STATUS_NORMAL
        if not anchor and registered_on < date(2025, 1, 1):
            draw = rng.random()
            status = (
                STATUS_CANCELLED
                if draw < 0.06
                else STATUS_REVOKED if draw < 0.07 else STATUS_NORMAL
            )
        status_day = random_day(
            rng, max(registered_on, date(2016, 1, 1)), today - timedelta(days=1)
        )
        updated_day = (
            status_day
            if status != STATUS_NORMAL
            else random_day(rng, max(registered_on, today - timedelta(days=1000)), today)
        )
        org, topic = self.organisation_row(
            org_type, registrar, registered_on, status, night_moment(rng, updated_day), name, topic
        )
        if not anchor and rng.random() < 0.07:
            former = [self.other_name(org) for _ in range(1 if rng.random() < 0.8 else 2)]
            # Oldest first: a renamed district's name comes first when there is one.
            org["former_names"] = json.dumps(former, ensure_ascii=False)
        self.evaluation(org)
        batch.organisations.append(org)

        entries = [] if anchor else self.generated_list_entries(org, status_day)
        batch.list_entries.extend(entries)
        open_lists = {entry["list_type"] for entry in entries if entry["removed_on"] is None}
        if "serious_violation" in open_lists:
            grade = "D"
        elif "abnormal_activity" in open_lists:
            grade = "C" if rng.random() < 0.6 else "D"
        elif anchor:
            grade = rng.choice("AB")
        else:
            grade = GRADE.pick(rng)

        events = self.generated_events(org, grade, entries)
        recent = registered_on >= date(2025, 1, 1)
        if not anchor and rng.random() < (0.15 if recent else 0.003):
            batch.events.extend(events)
            return  # not assessed yet
        assessed = night_moment(rng, today)
        self.fit_to_grade(org, events, grade, assessment_day(assessed))
        batch.events.extend(events)
        row = self.score_row(org, events, assessed)
        if inconsistent:
            # Deliberately wrong: the grade letter disagrees with the score's band.
            row["grade"] = rng.choice("AB") if row["grade"] in "CD" else rng.choice("CD")
        batch.scores.append(row)

    def registration_day(self, org_type):
        year = REGISTRATION_YEAR[org_type].pick(self.rng)
        return random_day(self.rng, date(year, 1, 1), date(year, 12, 31))

    def evaluation(self, org):
        """Give about half the organisations a 评估等级 valid for five years (some expired)."""
        rng = self.rng
        today = self.today
        earliest = max(add_months(org["registered_on"], 24), date(2014, 1, 1))
        latest = today - timedelta(days=30)
        if earliest > latest or rng.random() < 0.5:
            return
        level = EVALUATION_LEVEL.pick(rng)
        # Most were evaluated recently: the later of two draws.
        valid_from = max(random_day(rng, earliest, latest), random_day(rng, earliest, latest))
        org["evaluation_level"] = level
        org["evaluation_valid_from"] = valid_from
        org["evaluation_valid_until"] = add_months(valid_from, 60) - timedelta(days=1)

    def generated_list_entries(self, org, status_day):
        rng = self.rng
        today = self.today
        if org["registration_status"] == STATUS_REVOKED:
            return [self.list_entry(org, "serious_violation", status_day, reason_index=2)]
        draw = rng.random()
        if draw >= 0.03:
            return []
        list_type = "abnormal_activity" if draw < 0.025 else "serious_violation"
        first = max(add_months(org["registered_on"], 12), EVENTS_FROM)
        if first >= today:
            return []
        listed_on = random_day(rng, first, today - timedelta(days=1))
        entry = self.list_entry(org, list_type, listed_on)
        removal_chance = 0.5 if list_type == "abnormal_activity" else 0.15
        removed_on = listed_on + timedelta(days=rng.randint(60, 700))
        if removed_on < today and rng.random() < removal_chance:
            entry["removed_on"] = removed_on
            entry["removal_reason"] = rng.choice(catalogue.REMOVAL_REASONS[list_type])
            entry["updated_at"] = night_moment(rng, removed_on)
        return [entry]

    def list_entry(self, org, list_type, listed_on, reason_index=None, entry_id=None):
        rng = self.rng
        reasons = catalogue.LIST_REASONS[list_type]
        reason = reasons[reason_index] if reason_index is not None else rng.choice(reasons)
        if entry_id is None:
            self.list_number += 1
            entry_id = f"LE{listed_on.year}{self.list_number:06d}"
        return {
            "entry_id": entry_id,
            "uscc": org["uscc"],
            "list_type": list_type,
            "reason": reason.format(year=listed_on.year - 1),
            "listed_on": listed_on,
            "listed_by": org["registration_authority"],
            "removed_on": None,
            "removal_reason": None,
            "updated_at": night_moment(rng, listed_on),
        }

    def generated_events(self, org, grade, entries):
        """Invent 2019–2026 credit events that fit ``grade`` and the list entries."""
        rng = self.rng
        today = self.today
        first = max(org["registered_on"], EVENTS_FROM)
        last = today - timedelta(days=1)
        if first > last:
            return []
        events = []
        for entry in entries:
            item = "IN05" if entry["list_type"] == "serious_violation" else "IN04"
            events.append(self.event(org, item, entry["listed_on"], as_of=today))
        level, valid_from = org["evaluation_level"], org["evaluation_valid_from"]
        if level in catalogue.EVALUATION_ITEMS and valid_from >= first:
            events.append(
                self.event(org, catalogue.EVALUATION_ITEMS[level], valid_from, as_of=today)
            )
        count = EVENT_COUNT[grade].pick(rng)
        for _ in range(count):
            item = self.random_item(plus=rng.random() < PLUS_EVENT_CHANCE[grade])
            events.append(self.event(org, item, random_day(rng, first, last), as_of=today))
        return events

    def random_item(self, plus):
        rng = self.rng
        if plus:
            return rng.choice(catalogue.PLUS_ITEMS)
        return MINUS_ITEM.pick(rng)

    def event(self, org, item_code, effective_on, as_of, event_id=None, status=None):
        """Return a credit event of ``item_code``, with the status it has on ``as_of`` (or ``status``)."""
        rng = self.rng
        item = catalogue.ITEMS[item_code]
        expires_on = add_months(effective_on, item.validity_months)
        # Annual reports (年度工作报告) concern the year before.
        year = effective_on.year - 1 if "年度" in item.description else effective_on.year
        minus = item.points < 0
        forced = status
        draw = rng.random()
        if expires_on < as_of:
            status = (
                "repaired" if minus and draw < 0.05 else "withdrawn" if draw < 0.07 else "expired"
            )
        else:
            status = (
                "repaired"
                if minus and draw < 0.07
                else "objection" if draw < 0.12 else "withdrawn" if draw < 0.15 else "active"
            )
        if forced is not None:
            status = forced
        if status == "expired":
            changed_on = expires_on
        elif status == "active":
            changed_on = effective_on + timedelta(days=int(rng.random() * 4))
        else:
            changed_on = effective_on + timedelta(days=5 + int(rng.random() * 86))
        changed_on = min(changed_on, as_of)
        if event_id is None:
            self.event_number += 1
            event_id = f"CE{effective_on.year}{self.event_number:08d}"
        return {
            "event_id": event_id,
            "uscc": org["uscc"],
            "dimension_code": item.dimension,
            "item_code": item_code,
            "description": item.description.format(year=year),
            "points": ITEM_POINTS[item_code],
            "reporting_department": catalogue.DEPARTMENTS.get(
                item.department, org["registration_authority"]
            ),
            "legal_basis": item.legal_basis,
            "effective_on": effective_on,
            "expires_on": expires_on,
            "status": status,
            "is_public": status != "withdrawn" and rng.random() < 0.96 if forced is None else True,
            "updated_at": night_moment(rng, changed_on),
        }

    # Scores: made from the events, as the contract says.

    def score_of(self, events, day):
        """Return (score cents, {code: Decimal points}) of ``events`` assessed on ``day``."""
        total, points = score_from_items(
            self.rule_dimensions, [arithmetic_item(event) for event in events], day
        )
        return cents(total), points

    def band(self, grade):
        return next((low, high) for g, low, high in self.bands if g == grade)

    def fit_to_grade(self, org, events, grade, day):
        """Add (or repair) events until the score of ``events`` lies in ``grade``'s band.

        Scores never are chosen: a lower score takes more minus items, a
        higher one plus items or the repair (信用修复) of a minus item. After
        ``FITTING_STEPS`` the score is what it is, and so is its grade.
        """
        rng = self.rng
        low, high = self.band(grade)
        first = max(org["registered_on"] or EVENTS_FROM, day - timedelta(days=300))
        for _ in range(FITTING_STEPS):
            score, _ = self.score_of(events, day)
            if score > high:
                item = self.random_item(plus=False)
            elif score < low:
                repairable = [
                    event for event in events if event["points"] < 0 and counts(event, day)
                ]
                if repairable and rng.random() < 0.6:
                    event = rng.choice(repairable)
                    event["status"] = "repaired"
                    event["updated_at"] = night_moment(rng, day)
                    continue
                item = self.random_item(plus=True)
            else:
                return
            effective_on = random_day(rng, min(first, day), day)
            events.append(self.event(org, item, effective_on, as_of=day, status="active"))

    def score_row(self, org, events, assessed_at, grade=None):
        """Return the credit_scores row that ``events`` make on the day of ``assessed_at``.

        The grade is the band's of the score unless ``grade`` is given.
        """
        score, points = self.score_of(events, assessment_day(assessed_at))
        return {
            "uscc": org["uscc"],
            "score": decimal_points(score),
            "grade": grade or grade_for(score, self.bands),
            "dimension_scores": dimension_json(points),
            "assessed_at": assessed_at,
            "rule_set_version": catalogue.RULE_SET_VERSION,
            "updated_at": assessed_at,
        }
