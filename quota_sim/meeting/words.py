"""The result's codes as a planner's words, for the workbook and the report alike."""

from __future__ import annotations

from typing import Any

from quota_sim import i18n
from quota_sim.meeting import labels
from quota_sim.meeting.data import MeetingData
from quota_sim.results import quota_used_key
from quota_sim.vocabulary import (
    LANGUAGES,
    land_class_label,
    method_label,
    quota_label,
    source_label,
    status_label,
    unit_label,
)


class Words:
    """Names, units and sentences for one result in one language (``zh`` or ``en``)."""

    def __init__(self, data: MeetingData, lang: str, *, plain: bool = False) -> None:
        """``plain``: parks by their ids (for charts drawn without a CJK font)."""
        if lang not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {lang!r}")
        self.data, self.lang, self.plain = data, lang, plain
        self.facts = data.facts

    def text(self, key: str, **fields: object) -> str:
        return labels.text(key, self.lang, **fields)

    def column(self, key: str) -> str:
        return labels.column(key, self.lang)

    def zone(self, zone_id: str) -> str:
        """A park's name ("田营科技园"; in English "田营科技园 (tianying)")."""
        name = self.facts["zones"].get(zone_id, zone_id)
        if self.plain:
            return zone_id
        return f"{name} ({zone_id})" if self.lang == "en" and name != zone_id else name

    def site(self, site_id: str) -> str:
        """A site's name (its id where the table gives none; in English "name (id)")."""
        name = (self.facts.get("sites") or {}).get(site_id, {}).get("name") or site_id
        if self.plain:
            return site_id
        return f"{name} ({site_id})" if self.lang == "en" and name != site_id else name

    def place(self, zone_id: str, site_id: str = "") -> str:
        """A park, or a site in its park (the site alone when its name already names the park)."""
        if not site_id:
            return self.zone(zone_id)
        park, site = self.facts["zones"].get(zone_id, zone_id), self.site(site_id)
        if park and park in site:
            return site
        return self.text("on_site", zone=self.zone(zone_id), site=site)

    def land_class(self, code: str) -> str:
        return land_class_label(code, self.lang)

    def _quota_or_none(self, quota_id: str) -> str | None:
        known = any(q["id"] == quota_id for q in self.facts["quotas"])
        return self.quota(quota_id) if known else None

    def supply_zone(self, zone_id: str) -> str:
        """Who a source serves: the whole city (blank zone) or one park."""
        return self.text("city") if not zone_id else self.zone(zone_id)

    def quota(self, quota_id: str) -> str:
        quota = self.data.quota(quota_id)
        if self.lang != "en" and quota["name"]:
            return quota["name"]
        return quota_label(quota_id, self.lang)

    def unit_code(self, quota_id: str) -> str:
        return self.data.quota(quota_id)["unit"]

    def unit(self, quota_id: str) -> str:
        return unit_label(self.unit_code(quota_id), self.lang)

    def source(self, quota_id: str, source_id: str) -> str:
        source = self.data.source(quota_id, source_id)
        if self.lang != "en" and source["name"]:
            return source["name"]
        return source_label(source_id, self.lang)

    def status(self, code: str) -> str:
        return status_label(code, self.lang)

    def method(self, code: str) -> str:
        return method_label(code, self.lang)

    def used(self, quota_id: str) -> float:
        """A quota's use over the horizon (its unit), from the summary's KPIs."""
        return self.data.summary["kpi"][quota_used_key(quota_id)]

    def amount(self, value: float, quota_id: str) -> str:
        return labels.number(value, self.unit_code(quota_id))

    def explanation(self, row: dict[str, Any]) -> str:
        """Why a project has its status, as a planner would say it (blank for an approved one)."""
        status, reason = row["status"], row["reason"] or ""
        if status == "approved":
            return ""
        if status == "locked_out":
            return self.text("locked_out")
        if status == "ineligible":
            return labels.screen_sentence(reason, self.zone, self.lang)
        need = self.facts["waiting"].get(row["id"])
        if need is None:  # no placement left: a site problem, or blocked where no extra quota helps
            if reason == "earliest_year after horizon":
                return self.text("after_horizon")
            sentence = labels.blocking_sentence(reason, self._quota_or_none, self.lang)
            if sentence is not None:
                return sentence
            return i18n.reason_label(reason, self.lang, [q["id"] for q in self.facts["quotas"]])
        place = self.place(need["zone"], need.get("site", ""))
        if not need["short"] and need["budget"] <= 0:
            summary = self.data.summary
            if summary["status"] != "optimal":  # a time-limited plan proves nothing about displacement
                gap = "—" if summary.get("gap") is None else f"{summary['gap']:.2%}"
                return self.text("fits_unproven", year=need["year"], zone=place, gap=gap)
            return self.text("fits", year=need["year"], zone=place)
        parts = [
            self.text("quota_short", quota=self.quota(q), amount=self.amount(v, q), unit=self.unit(q))
            for q, v in need["short"].items()
        ]
        if need["budget"] > 0:
            parts.append(self.text("budget_short", amount=labels.number(need["budget"], "万元")))
        parts.append(self.text("could_start", year=need["year"], zone=place))
        return self.text("sep").join(parts)

    def land_arithmetic(self) -> list[tuple[str, float, str]] | None:
        """The shortfall written out: (label, figure in mu/yr, the sum spelt out) for demand, supply and
        shortfall; None without a land quota."""
        balance = self.facts["land_balance"]
        land = self.facts["land_quota"]
        if balance is None or land is None:
            return None
        years = self.facts["years"]
        demand, supply, shortfall = balance["demand"], balance["supply"], balance["shortfall"]
        n = labels.number
        by_source = " + ".join(
            f"{self.source(land, s)} {n(v, 'mu')}" for s, v in balance["by_source"].items()
        )
        key = "shortfall_note" if shortfall > 0 else "surplus_note"
        return [
            (
                self.text("demand"),
                demand,
                self.text("demand_note", total=n(demand * years, "mu"), years=years, demand=n(demand, "mu")),
            ),
            (self.text("supply"), supply, self.text("supply_note", parts=by_source, supply=n(supply, "mu"))),
            (
                self.text("shortfall"),
                shortfall,
                self.text(key, demand=n(demand, "mu"), supply=n(supply, "mu"), shortfall=n(shortfall, "mu")),
            ),
        ]

    def yearly_shortfall(self) -> list[tuple[str, float, str]]:
        """The shortfall of each year written out: (label, mu, demand − supply spelt out)."""
        balance = self.facts["land_balance"]
        if balance is None or self.facts["land_quota"] is None:
            return []
        n = labels.number
        lines = []
        years = zip(balance["years"], balance["demand_by_year"], balance["supply_by_year"], strict=True)
        for year, demand, supply in years:
            note = self.text("year_note", demand=n(demand, "mu"), supply=n(supply, "mu"),
                             shortfall=n(demand - supply, "mu"))
            lines.append((self.text("year_shortfall", year=year), demand - supply, note))
        return lines
