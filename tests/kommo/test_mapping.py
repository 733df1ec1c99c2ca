"""Every recorded Kommo payload (``samples/``, copied from ../shared/kommo/samples) mapped by hand.

Expected values are written out field by field: times are the payload's Unix seconds in UTC,
stage ids are ``pipeline * 10**10 + status``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from salesscope.connectors.kommo import map_reference as ref
from salesscope.connectors.kommo.client import relative, retry_after
from salesscope.connectors.kommo.ids import event_millisecond, stage_key, ulid_ms
from salesscope.connectors.kommo.map_events import event_rows, kommo_event_id
from salesscope.connectors.kommo.map_records import RecordContext, call_row, deal_row, task_row
from salesscope.connectors.kommo.webhook_form import notice_from_form, parse_form

SAMPLES = Path(__file__).parent / "samples"
CTX = RecordContext("RUB", {4203748: "Пропала потребность"}, {1: "follow_up", 2: "meeting"})


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)  # type: ignore[arg-type]


def test_every_sample_has_a_mapping_test() -> None:
    tested = {"account_with_embedded.json", "users_list.json", "pipelines_list.json", "leads_list_page.json",
              "lead_detail_with_embedded.json", "tasks_list_page.json", "task_detail_with_result.json",
              "notes_list_page.json", "note_call_in_php_test.json", "note_call_params_kommo_doc.txt",
              "events_list_page.txt", "webhook_lead_status_form.txt", "webhook_lead_status_kommo_doc.json",
              "error_responses_problem_json.txt", "webhooks_list.json"}
    assert {p.name for p in SAMPLES.iterdir()} - {"README.md"} == tested


def test_account_teams_and_task_types() -> None:
    account = sample("account_with_embedded.json")
    assert ref.account_row(account, "https://example.amocrm.ru") == {
        "id": 1231414, "name": "example", "currency": "XXX", "timezone": "Europe/Moscow", "crm": "kommo",
        "subdomain": "example", "base_url": "https://example.amocrm.ru"}
    assert ref.team_rows(account) == [{"id": 0, "name": "Отдел продаж"}]
    assert ref.task_kinds(account) == {1: "follow_up", 2: "meeting"}


def test_users_team_from_rights_else_groups_and_role() -> None:
    users = [ref.user_row(u) for u in sample("users_list.json")["_embedded"]["users"]]
    assert users == [
        {"id": 123123, "name": "Пользователь для примера 2", "email": "example2@mail.com", "team_id": 267688,
         "role": "Менеджер", "active": True},
        {"id": 321321, "name": "Пользователь для примера 2", "email": "example2@mail.com", "team_id": None,
         "role": "admin", "active": True},
    ]


def test_pipeline_stages_keyed_by_pipeline_and_status() -> None:
    pipeline, stages = ref.pipeline_rows(sample("pipelines_list.json")["_embedded"]["pipelines"][0])
    assert pipeline == {"id": 3177727, "name": "Воронка", "sort": 1, "is_main": True, "archived": False}
    assert [(s["id"], s["crm_id"], s["name"], s["sort"], s["kind"]) for s in stages] == [
        (31777270032392156, 32392156, "Неразобранное", 10, "open"),
        (31777270032392159, 32392159, "Первичный контакт", 20, "open"),
        (31777270032392165, 32392165, "Принимают решение", 30, "open"),
        (31777270000000142, 142, "Успешно реализовано", 10000, "won"),
        (31777270000000143, 143, "Закрыто и не реализовано", 11000, "lost"),
    ]
    assert stage_key(1, 142) != stage_key(2, 142)


def test_leads_list_page_and_its_next_link() -> None:
    page = sample("leads_list_page.json")
    first = deal_row(page["_embedded"]["leads"][0], CTX)
    assert first == {
        "id": 19619, "name": "Сделка для примера", "amount": Decimal("46333.00"), "currency": "RUB",
        "pipeline_id": 1300, "stage_id": 13000000000142, "owner_id": 123321, "contact_id": None,
        "created_at": utc(2016, 1, 20, 8, 46, 47), "updated_at": utc(2017, 8, 8, 11, 58, 21),
        "closed_at": utc(2016, 12, 29, 10, 5, 31), "loss_reason": None, "source": None,
        "utm_source": None, "utm_medium": None, "utm_campaign": None, "utm_content": None,
        "tags": [], "deleted": False}
    assert deal_row(page["_embedded"]["leads"][1], CTX)["amount"] == Decimal("655.00")
    assert relative(page["_links"]["next"]["href"]) == "/api/v4/leads?limit=2&page=3"


def test_lead_detail_with_loss_reason_contact_and_tags() -> None:
    row = deal_row(sample("lead_detail_with_embedded.json"), CTX)
    assert (row["stage_id"], row["loss_reason"], row["contact_id"], row["tags"], row["amount"]) == (
        31044550000000143, "Пропала потребность", 10971465, ["тест"], Decimal("12.00"))
    assert row["closed_at"] == utc(2020, 5, 28, 16, 28, 57)


def test_lead_utm_by_field_code_any_case_and_price_with_minor_units() -> None:
    lead = sample("lead_detail_with_embedded.json") | {"price_with_minor_units": 12.5}
    lead["custom_fields_values"] = [
        {"field_id": 1, "field_code": "UTM_SOURCE", "field_type": "tracking_data", "values": [{"value": "google"}]},
        {"field_id": 2, "field_code": "utm_medium", "field_type": "text", "values": [{"value": "cpc"}]},
        {"field_id": 3, "field_code": None, "field_name": "utm_campaign", "values": [{"value": "not by name"}]},
        {"field_id": 4, "field_code": "UTM_CONTENT", "values": []},
    ]
    row = deal_row(lead, CTX)
    utm = (row["utm_source"], row["utm_medium"], row["utm_campaign"], row["utm_content"])
    assert utm == ("google", "cpc", None, None)
    assert row["amount"] == Decimal("12.50")


def test_tasks_list_and_detail() -> None:
    rows = [task_row(t, CTX) for t in sample("tasks_list_page.json")["_embedded"]["tasks"]]
    assert rows[0] == {
        "id": 7087, "kind": "meeting", "text": "Пригласить на бесплатную тренировку",
        "created_at": utc(2019, 12, 3, 9, 6, 40), "due_at": utc(2019, 12, 6, 20, 59, 0),
        "completed_at": utc(2019, 12, 3, 9, 20, 51), "result": None, "owner_id": 123123,
        "created_by": 3987910, "deal_id": 167353, "contact_id": None, "deleted": False}
    assert rows[1]["created_by"] is None  # 0: a robot set it
    detail = task_row(sample("task_detail_with_result.json"), CTX)
    assert (detail["result"], detail["completed_at"], detail["deal_id"]) == (
        "Результат есть", utc(2019, 12, 19, 15, 6, 29), 180765)


def test_call_note_from_the_php_test() -> None:
    assert call_row(sample("note_call_in_php_test.json"), "leads") == {
        "id": 1254829, "direction": "in", "duration_s": 130, "status": "answered",
        "recording_url": "https://example.test/test.mp3", "at": utc(2020, 4, 24, 12, 29, 13),
        "author_id": 501, "deal_id": 8694432, "contact_id": None, "phone": "+7912312321"}


def test_call_params_of_the_kommo_doc_on_a_contact() -> None:
    text = (SAMPLES / "note_call_params_kommo_doc.txt").read_text(encoding="utf-8")
    blocks = re.findall(r"(call_in|call_out)\n\"params\": (\{.*?\})", text, re.S)
    rows = [call_row({"id": 1 + i, "entity_id": 77, "note_type": kind, "created_at": 1_700_000_000,
                      "responsible_user_id": 5, "params": json.loads(params)}, "contacts")
            for i, (kind, params) in enumerate(blocks)]
    assert [(r["direction"], r["duration_s"], r["status"], r["recording_url"], r["contact_id"], r["deal_id"])
            for r in rows if r] == [("in", 60, "unknown", "https://example.com", 77, None),
                                    ("out", 60, "unknown", "https://example.com", 77, None)]


def test_other_notes_are_not_calls() -> None:
    notes = sample("notes_list_page.json")["_embedded"]["notes"]
    assert [call_row(n, "leads") for n in notes] == [None, None]


def test_event_page_with_its_known_defect() -> None:
    text = (SAMPLES / "events_list_page.txt").read_text(encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    page = json.loads(text.replace('"href": https://', '"href": "https://'))
    event = page["_embedded"]["events"][0]
    assert ulid_ms(event["id"]) == 1888888888000 == event_millisecond(event["id"], event["created_at"])
    rows = event_rows(event, 42)
    assert rows.activity == {
        "id": 42, "kind": "deal_created", "at": utc(2029, 11, 9, 3, 21, 28), "author_id": 939801,
        "deal_id": 26060763, "contact_id": None,
        "details": '{"kommo_event":"01pz58t6p04ymgsgfbmfyfy1mf","type":"lead_added",'
                   '"after":[{"note":{"id":42743871}}]}'}
    assert rows.stage_change is None and rows.deletion is None
    assert kommo_event_id(rows.activity["details"]) == "01pz58t6p04ymgsgfbmfyfy1mf"


def test_status_change_event_becomes_a_stage_change() -> None:
    event = {"id": "01pz58t6p04ymgsgfbmfyfy1mf", "type": "lead_status_changed", "entity_id": 5, "entity_type": "lead",
             "created_by": 0, "created_at": 1888888888,
             "value_before": [{"lead_status": {"id": 32392159, "pipeline_id": 3177727}}],
             "value_after": [{"lead_status": {"id": 143, "pipeline_id": 3177727}}]}
    rows = event_rows(event, 7)
    assert rows.stage_change == {"id": 7, "deal_id": 5, "from_stage_id": 31777270032392159,
                                 "to_stage_id": 31777270000000143, "at": utc(2029, 11, 9, 3, 21, 28),
                                 "by_user_id": None}
    assert rows.activity["kind"] == "stage_change" and rows.activity["author_id"] is None


def test_webhook_form_real_sample() -> None:
    tree = parse_form((SAMPLES / "webhook_lead_status_form.txt").read_bytes().strip())
    lead = tree["leads"]["status"]["0"]
    assert (lead["id"], lead["status_id"], lead["old_status_id"], lead["pipeline_id"]) == (
        "10701093", "142", "20067736", "9217056")
    assert lead["custom_fields"]["2"]["values"]["0"] == "1542067200"
    assert lead["name"] == "Семинар: Пропитание в фитнесе на результат"
    notice = notice_from_form(tree)
    assert (notice.leads, notice.subdomain, notice.contacts, notice.tasks) == ({10701093}, "apfitness", set(), set())


def test_webhook_decoded_kommo_doc_sample() -> None:
    notice = notice_from_form(sample("webhook_lead_status_kommo_doc.json"))
    assert notice.leads == {15318175} and notice.subdomain is None


def test_problem_json_bodies() -> None:
    text = (SAMPLES / "error_responses_problem_json.txt").read_text(encoding="utf-8")
    bodies = [json.loads(b) for b in re.split(r"^#.*$", text, flags=re.M) if b.strip()]
    assert [b["status"] for b in bodies] == [400, 401, 402, 422, 429, 401]
    assert retry_after(httpx.Response(429, json=bodies[4]), 1.0) == 300.0
    assert retry_after(httpx.Response(429, text="Too Many Requests", headers={"Retry-After": "7"}), 1.0) == 7.0
    assert retry_after(httpx.Response(429, text="<html>"), 1.5) == 1.5
