"""Plan one night of changes to a demo scoring database.

``Night`` works on the state read from the database (see
``generator.read_state``) and collects the rows to insert and update; the
generator writes them. Everything drawn comes from a random stream seeded
with the seed and the night's date.
"""

import json
import random
from datetime import timedelta

from portal.demo import catalogue, name_words, names
from portal.demo.factory import (
    OrganisationFactory,
    cents,
    decimal_points,
    dimension_json,
    grade_for,
    night_moment,
    split_score,
)
from portal.scoring.schema import STATUS_CANCELLED, STATUS_NORMAL


class Night:
    """Plan one night of changes to a demo scoring database."""

    def __init__(self, state, seed, changes_percent):
        self.state = state
        self.day = state["latest"].date() + timedelta(days=1)
        # A string seed is hashed with SHA-512, so it is stable across processes.
        self.rng = random.Random(f"demo-night/{seed}/{self.day.isoformat()}")
        self.changes_percent = changes_percent
        taken_names = {names.name_key(org["name"]) for org in state["organisations"]}
        for text in state["former_names"]:
            try:
                taken_names.update(names.name_key(name) for name in json.loads(text))
            except (TypeError, ValueError, AttributeError):
                pass
        self.factory = OrganisationFactory(
            self.rng,
            taken_names=taken_names,
            taken_codes={org["uscc"][8:17] for org in state["organisations"]},
            dimensions=state["dimensions"],
        )
        self.orgs = {org["uscc"]: org for org in state["organisations"]}
        self.scores = {score["uscc"]: score for score in state["scores"]}
        self.events_by_org = {}
        for event in state["open_events"]:
            self.events_by_org.setdefault(event["uscc"], []).append(event)
        self.listed = {entry["uscc"] for entry in state["open_list_entries"]}
        self.new_orgs, self.org_updates = [], []
        self.new_scores, self.score_updates = [], []
        self.new_events, self.event_updates = [], []
        self.new_entries, self.entry_updates = [], []
        self.counts = dict.fromkeys(
            (
                "new_organisations",
                "cancelled",
                "profile_changes",
                "b_to_c",
                "c_to_b_or_a",
                "events_expired",
                "events_repaired",
                "objections_resolved",
            ),
            0,
        )
        self.changed_event_ids = set()
        self.chosen = set()

    # Helpers.

    def moment(self):
        return night_moment(self.rng, self.day)

    def take(self, pool, count, wanted):
        taken = []
        for uscc in pool:
            if len(taken) == count:
                break
            if uscc not in self.chosen and wanted(uscc):
                self.chosen.add(uscc)
                taken.append(uscc)
        return taken

    def score_cents(self, uscc):
        return cents(self.scores[uscc]["score"])

    def consistent_grade(self, uscc):
        score = self.scores.get(uscc)
        if score is None:
            return None
        grade = grade_for(self.score_cents(uscc), self.state["bands"])
        return grade if grade == score["grade"] else None

    def band(self, grade):
        return next((low, high) for g, low, high in self.state["bands"] if g == grade)

    def add_event(self, uscc, item_code):
        org = self.orgs[uscc]
        number = len(self.new_events) + 1
        event = self.factory.event(
            org, item_code, self.day, as_of=self.day, event_id=f"CE{self.day:%Y%m%d}N{number:05d}"
        )
        event.update(status="active", is_public=True, updated_at=self.moment())
        self.new_events.append(event)
        return event

    def repair_event(self, uscc):
        candidates = [
            event
            for event in self.events_by_org.get(uscc, [])
            if event["status"] == "active"
            and event["points"] < 0
            and event["event_id"] not in self.changed_event_ids
        ]
        if not candidates:
            return None
        event = self.rng.choice(candidates)
        self.changed_event_ids.add(event["event_id"])
        self.event_updates.append(
            {"event_id": event["event_id"], "status": "repaired", "updated_at": self.moment()}
        )
        self.counts["events_repaired"] += 1
        return event

    def rescore(self, uscc, target, changed_dimension=None, delta=0):
        """Set a new score (cents) for ``uscc``; the grade comes from the band."""
        score = self.scores[uscc]
        codes = [code for code, _, _ in self.state["dimensions"]]
        caps = [cap for _, cap, _ in self.state["dimensions"]]
        old = _parse_dimensions(score["dimension_scores"])
        guess = [
            cents(old[code]) if code in old else base for code, _, base in self.state["dimensions"]
        ]
        if changed_dimension in codes:
            guess[codes.index(changed_dimension)] += delta
        points = split_score(target, guess, caps)
        new_score = sum(points)
        grade = grade_for(new_score, self.state["bands"])
        old_grade = score["grade"]
        if old_grade == "B" and grade == "C":
            self.counts["b_to_c"] += 1
        elif old_grade == "C" and grade in ("A", "B"):
            self.counts["c_to_b_or_a"] += 1
        moment = self.moment()
        update = {
            "uscc": uscc,
            "score": decimal_points(new_score),
            "grade": grade,
            "dimension_scores": dimension_json(codes, points),
            "assessed_at": moment,
            "updated_at": moment,
        }
        self.score_updates.append(update)
        score.update(update)

    # The plan.

    def plan(self):
        """Decide tonight's changes: expiries, then about changes_percent % of organisations."""
        rng = self.rng
        self.expire_events()
        self.resolve_objections()
        if self.changes_percent <= 0:
            return
        normal = [
            uscc for uscc, org in self.orgs.items() if org["registration_status"] == STATUS_NORMAL
        ]
        target = round(len(normal) * self.changes_percent / 100)
        # At least a few of each kind, so that every night exercises the portal's paths.
        crossings = max(3, target // 12)
        new_count = max(1, target // 12)
        cancel_count = max(1, target // 25)
        list_count = max(1, target // 50)
        profile_count = max(1, target // 15)
        other_count = max(
            0, target - 2 * crossings - new_count - cancel_count - 2 * list_count - profile_count
        )

        pool = list(normal)
        rng.shuffle(pool)
        down = self.take(pool, crossings, lambda u: self.consistent_grade(u) == "B")
        up = self.take(pool, crossings, lambda u: self.consistent_grade(u) == "C")
        listings = self.take(pool, list_count, lambda u: u in self.scores and u not in self.listed)
        cancels = self.take(pool, cancel_count, lambda u: True)
        profiles = self.take(pool, profile_count, lambda u: True)
        others = self.take(pool, other_count, lambda u: u in self.scores)

        c_low, c_high = self.band("C")
        for uscc in down:
            event = self.add_event(uscc, self.factory.random_item(plus=False))
            self.rescore(
                uscc,
                rng.randint(max(c_low, c_high - 1200), c_high),
                event["dimension_code"],
                cents(event["points"]),
            )
        b_low, b_high = self.band("B")
        a_low, _ = self.band("A")
        for uscc in up:
            self.repair_event(uscc)
            event = self.add_event(uscc, self.factory.random_item(plus=True))
            target_score = (
                rng.randint(b_low, min(b_high, b_low + 1000))
                if rng.random() < 0.8
                else rng.randint(a_low, a_low + 600)
            )
            self.rescore(uscc, target_score, event["dimension_code"], cents(event["points"]))
        for uscc in listings:
            self.list_organisation(uscc)
        for uscc in others:
            self.change_score(uscc)
        for uscc in cancels:
            self.org_updates.append(
                {"uscc": uscc, "registration_status": STATUS_CANCELLED, "updated_at": self.moment()}
            )
            self.orgs[uscc]["registration_status"] = STATUS_CANCELLED
            self.counts["cancelled"] += 1
        for uscc in profiles:
            self.change_profile(uscc)
        self.unlist(list_count)
        for _ in range(new_count):
            self.register()

    def expire_events(self):
        for event in self.state["open_events"]:
            if (
                event["status"] == "active"
                and event["expires_on"] is not None
                and event["expires_on"] < self.day
            ):
                self.event_updates.append(
                    {
                        "event_id": event["event_id"],
                        "status": "expired",
                        "updated_at": self.moment(),
                    }
                )
                self.changed_event_ids.add(event["event_id"])
                event["status"] = "expired"
                self.counts["events_expired"] += 1

    def resolve_objections(self):
        for event in self.state["open_events"]:
            if event["status"] == "objection" and self.rng.random() < 0.15:
                status = "active" if self.rng.random() < 0.5 else "withdrawn"
                update = {
                    "event_id": event["event_id"],
                    "status": status,
                    "updated_at": self.moment(),
                }
                if status == "withdrawn":
                    update["is_public"] = False
                self.event_updates.append(update)
                self.changed_event_ids.add(event["event_id"])
                self.counts["objections_resolved"] += 1

    def change_score(self, uscc):
        """Re-assess ``uscc``: a new event, a repair or a small revision."""
        rng = self.rng
        old = self.score_cents(uscc)
        draw = rng.random()
        if draw < 0.7:
            # Plus items are worth less than minus items: this keeps the grades from drifting.
            plus = rng.random() < 0.6
            repaired = self.repair_event(uscc) if plus and rng.random() < 0.4 else None
            event = self.add_event(uscc, self.factory.random_item(plus=plus))
            delta = cents(event["points"]) + rng.randint(-100, 100)
            if repaired is not None:
                delta -= cents(repaired["points"])
            self.rescore(uscc, old + delta, event["dimension_code"], cents(event["points"]))
        else:
            self.rescore(uscc, old + rng.randint(-300, 300))

    def list_organisation(self, uscc):
        org = self.orgs[uscc]
        number = len(self.new_entries) + 1
        entry = self.factory.list_entry(
            org, "abnormal_activity", self.day, entry_id=f"LE{self.day:%Y%m%d}N{number:03d}"
        )
        entry["updated_at"] = self.moment()
        self.new_entries.append(entry)
        self.listed.add(uscc)
        event = self.add_event(uscc, "IN04")
        self.rescore(
            uscc,
            self.score_cents(uscc) + cents(event["points"]),
            event["dimension_code"],
            cents(event["points"]),
        )

    def unlist(self, count):
        candidates = [
            entry
            for entry in self.state["open_list_entries"]
            if entry["list_type"] == "abnormal_activity"
            and entry["listed_on"] <= self.day - timedelta(days=30)
        ]
        for entry in self.rng.sample(candidates, min(count, len(candidates))):
            self.entry_updates.append(
                {
                    "entry_id": entry["entry_id"],
                    "removed_on": self.day,
                    "removal_reason": self.rng.choice(
                        catalogue.REMOVAL_REASONS[entry["list_type"]]
                    ),
                    "updated_at": self.moment(),
                }
            )

    def change_profile(self, uscc):
        """Change a legal representative, an address or the name of ``uscc``."""
        rng = self.rng
        org = self.orgs[uscc]
        draw = rng.random()
        update = {"uscc": uscc, "updated_at": self.moment()}
        if draw < 0.5:
            update["legal_representative"] = names.person_name(rng)
        elif draw < 0.8:
            home = (
                org["district_code"]
                if org["district_code"] != name_words.MUNICIPAL
                else rng.choice(name_words.DISTRICT_CODES)
            )
            update["address"] = names.address(rng, home)
        else:
            new_name = self.factory.other_name({**org, "registered_on": None})
            former = _parse_former_names(org["former_names"]) + [org["name"]]
            update["name"] = new_name
            update["former_names"] = json.dumps(former, ensure_ascii=False)
        self.org_updates.append(update)
        self.counts["profile_changes"] += 1

    def register(self):
        """Register a new organisation, assessed at once most of the time."""
        rng = self.rng
        factory = self.factory
        org_type, registrar = factory.type_and_registrar()
        registered_on = self.day - timedelta(days=rng.randint(1, 10))
        org, _ = factory.organisation_row(
            org_type, registrar, registered_on, STATUS_NORMAL, self.moment()
        )
        self.new_orgs.append(org)
        self.orgs[org["uscc"]] = org
        self.counts["new_organisations"] += 1
        if rng.random() < 0.7:
            row = factory.score_row(org, rng.randint(8800, 10500), None, [], self.moment())
            row["rule_set_version"] = self.state["version"]
            row["grade"] = grade_for(cents(row["score"]), self.state["bands"])
            self.new_scores.append(row)
            self.scores[org["uscc"]] = row

    def summary(self):
        """Return what tonight changed, and the grades after it."""
        changed = {
            row["uscc"]
            for row in self.new_orgs + self.org_updates + self.new_scores + self.score_updates
        }
        grades = dict.fromkeys(
            (grade for grade, _, _ in sorted(self.state["bands"], key=lambda b: -b[1])), 0
        )
        for score in self.scores.values():
            grades[score["grade"]] = grades.get(score["grade"], 0) + 1
        return {
            "night": self.day.isoformat(),
            "organisations": len(self.orgs),
            "organisations_changed": len(changed),
            "scores_changed": len({row["uscc"] for row in self.score_updates + self.new_scores}),
            "events_added": len(self.new_events),
            "list_added": len(self.new_entries),
            "list_removed": len(self.entry_updates),
            "grades": grades,
            **self.counts,
        }


def _parse_dimensions(text):
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _parse_former_names(text):
    try:
        parsed = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []
