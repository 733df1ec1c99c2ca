"""The metric catalogue: every sales metric declared once — name, label, definition, unit, format.

Reports that show one of these numbers take its label and definition from here (the summary's
win rate and average check, the metrics report's every row), so a metric means the same thing on
every page, export and digest. Definitions say which deals count and which period applies:
"the cohort" is the deals created in the period (followed to today, as the funnel counts them);
"closed in the period" is by ``closed_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricFormat = Literal["integer", "fraction", "money", "hours", "days"]


@dataclass(frozen=True)
class Metric:
    """One declared metric; ``unit`` is None for counts and rates, the currency for money."""

    name: str
    label: str
    definition: str
    unit: str | None
    format: MetricFormat


CURRENCY = "account currency"

CATALOGUE: tuple[Metric, ...] = (
    Metric("leads_per_channel", "Leads per channel",
           "Deals created in the period (the cohort), per channel: the deal's utm_source, else its "
           "CRM lead source, else (none).", "deals", "integer"),
    Metric("proposal_rate", "Proposal rate",
           "Deals of the cohort that reached the pipeline's proposal stage (setting "
           "proposal_stage, else the stage named like a proposal; won deals reached it) / deals of "
           "the cohort. Only pipelines that have a proposal stage count.", None, "fraction"),
    Metric("proposal_to_next", "Proposal → next stage",
           "Deals of the cohort that reached the stage after the proposal stage (the next open "
           "stage, else won) / deals of the cohort that reached the proposal stage.", None,
           "fraction"),
    Metric("deal_to_payment", "Deal → payment",
           "Deals of the cohort now won / deals of the cohort: the lead-to-payment conversion.",
           None, "fraction"),
    Metric("average_check", "Average check",
           "Budget of the deals won (closed) in the period / their number.", CURRENCY, "money"),
    Metric("first_contact_median_h", "Time to first contact, median",
           "For each deal of the cohort: working hours (Mon–Fri, work_start–work_end without "
           "lunch, account-local; settings) from its creation to the first outgoing call, "
           "outgoing message or note by a person on it. The median over the deals contacted; deals "
           "never contacted are left out (see their count). Never a mean: one lead forgotten for "
           "a month would outweigh a hundred answered in minutes.", "working hours", "hours"),
    Metric("first_contact_p90_h", "Time to first contact, 90th percentile",
           "As the median, the 90th percentile (continuous, interpolated): nine leads in ten were "
           "contacted within this many working hours.", "working hours", "hours"),
    Metric("first_contact_missing", "Leads never contacted",
           "Deals of the cohort with no outgoing call, outgoing message or note by a person yet.",
           "deals", "integer"),
    Metric("cycle_median_d", "Deal cycle, median",
           "For the deals won (closed) in the period: calendar days from creation to closing; "
           "the median.", "days", "days"),
    Metric("cycle_p75_d", "Deal cycle, 75th percentile",
           "As the median, the 75th percentile (continuous, interpolated).", "days", "days"),
    Metric("time_in_stage_median_d", "Time in stage, median",
           "For the deals of the cohort, per open stage: calendar days from entering the stage "
           "(creation, for the first stage) to leaving it, from the stage history; the median "
           "over the stays that have ended. Stays still going on are left out.", "days", "days"),
    Metric("win_rate", "Win rate",
           "Deals won / (won + lost), of the deals closed in the period.", None, "fraction"),
    Metric("repeat_buyer_share", "Repeat buyers",
           "Of the contacts with a deal won (closed) in the period, the share with at least two "
           "won deals in all (any pipeline and manager, closed by the end of the period).",
           None, "fraction"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in CATALOGUE}


def metric(name: str) -> Metric:
    """A metric by name; a typo fails loudly, naming the catalogue."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no metric {name!r}; catalogue: {', '.join(BY_NAME)}") from None
