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
from portal.demo.factory import OrganisationFactory
from portal.demo.shape import cents, grade_for, night_moment
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
            today=self.day,
            taken_names=taken_names,
            taken_codes={org["uscc"][8:17] for org in state["organisations"]},
            dimensions=state["dimensions"],
            bands=state["bands"],
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
        #: Organisations whose events changed tonight: the scoring system re-assesses them.
        self.touched = set()

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
        self.events_by_org.setdefault(uscc, []).append(event)
        self.touched.add(uscc)
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
        event["status"] = "repaired"
        self.touched.add(uscc)
        self.counts["events_repaired"] += 1
        return event

    def score_now(self, uscc):
        """Return the score (cents) ``uscc``'s events make tonight."""
        score, _ = self.factory.score_of(self.events_by_org.get(uscc, []), self.day)
        return score

    def rescore(self, uscc):
        """Re-assess ``uscc`` tonight from its events; the grade comes from the band."""
        score = self.scores[uscc]
        moment = self.moment()
        row = self.factory.score_row(self.orgs[uscc], self.events_by_org.get(uscc, []), moment)
        old_grade = score["grade"]
        if old_grade == "B" and row["grade"] == "C":
            self.counts["b_to_c"] += 1
        elif old_grade == "C" and row["grade"] in ("A", "B"):
            self.counts["c_to_b_or_a"] += 1
        update = {
            "uscc": uscc,
            "score": row["score"],
            "grade": row["grade"],
            "dimension_scores": row["dimension_scores"],
            "assessed_at": moment,
            "updated_at": moment,
            "rule_set_version": self.state["version"],
        }
        self.score_updates.append(update)
        score.update(update)

    def move_towards(self, uscc, low, high):
        """Add minus items, or repair and add plus items, until ``uscc``'s score lies in low..high."""
        for _ in range(12):
            score = self.score_now(uscc)
            if score > high:
                self.add_event(uscc, self.factory.random_item(plus=False))
            elif score < low:
                if self.rng.random() < 0.5 and self.repair_event(uscc) is not None:
                    continue
                self.add_event(uscc, self.factory.random_item(plus=True))
            else:
                return

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
            self.move_towards(uscc, c_low, c_high)
        b_low, _ = self.band("B")
        _, a_high = self.band("A")
        for uscc in up:
            self.move_towards(uscc, b_low, a_high)
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
        for uscc in sorted(self.touched):
            if uscc in self.scores and uscc in self.orgs:
                self.rescore(uscc)

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
                self.touched.add(event["uscc"])
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
                event["status"] = status
                self.touched.add(event["uscc"])
                self.changed_event_ids.add(event["event_id"])
                self.counts["objections_resolved"] += 1

    def change_score(self, uscc):
        """Re-assess ``uscc`` after a new plus or minus item, sometimes with a repair."""
        rng = self.rng
        # Plus items are worth less than minus items: this keeps the grades from drifting.
        plus = rng.random() < 0.6
        if plus and rng.random() < 0.4:
            self.repair_event(uscc)
        self.add_event(uscc, self.factory.random_item(plus=plus))

    def list_organisation(self, uscc):
        org = self.orgs[uscc]
        number = len(self.new_entries) + 1
        entry = self.factory.list_entry(
            org, "abnormal_activity", self.day, entry_id=f"LE{self.day:%Y%m%d}N{number:03d}"
        )
        entry["updated_at"] = self.moment()
        self.new_entries.append(entry)
        self.listed.add(uscc)
        self.add_event(uscc, "IN04")

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
            for _ in range(rng.randint(0, 2)):
                item = factory.random_item(plus=rng.random() < 0.5)
                self.add_event(org["uscc"], item)
            self.touched.discard(org["uscc"])
            row = factory.score_row(org, self.events_by_org.get(org["uscc"], []), self.moment())
            row["rule_set_version"] = self.state["version"]
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


def _parse_former_names(text):
    try:
        parsed = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []
