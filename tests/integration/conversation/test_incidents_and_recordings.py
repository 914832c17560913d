from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders import NOW, make_case

import qingzhai.compliance.models
import qingzhai.security.models  # noqa: F401 - key tables for real encryption
from qingzhai.conversation import jobs, service
from qingzhai.conversation.models import Recording
from qingzhai.conversation.ports import default_ports
from qingzhai.conversation.testing import fake_ports
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotFound, NotPermitted, RuleViolation
from qingzhai.sim.personas import COMPLIANT_CALL, VIOLATING_CALL

OFFICER = Actor(id="officer-1", name="officer", role=Role.compliance_officer)
COLLECTOR = Actor(id="collector-9", name="collector", role=Role.collector)
LINES = [service.TranscriptLine(s, t) for s, t in VIOLATING_CALL]


def test_violating_call_opens_an_incident_and_suspends_the_collector(session: Session) -> None:
    ports, parts = fake_ports()
    case = make_case(session)
    review = service.review_transcript(
        session, agent_id="agent-7", lines=LINES, now=NOW, actor=OFFICER, case=case, audio=b"RIFF-fake-wav", ports=ports
    )
    assert not review.clean and review.incident is not None
    assert {"third_party_contact", "insult", "false_legal_consequence"} <= set(review.incident.rules.split(","))
    assert "agent-7" in parts["compliance"].suspended
    assert review.incident.transcript_id and review.incident.recording_id
    transcript = session.get(Recording, review.incident.transcript_id)
    assert "老赖".encode() not in transcript.sealed
    again = service.review_transcript(session, agent_id="agent-7", lines=LINES, now=NOW, actor=OFFICER, case=case, ports=ports)
    assert again.incident.id == review.incident.id
    assert service.list_incidents(session, agent_id="agent-7")[1] == 1


def test_a_compliant_call_opens_nothing(session: Session) -> None:
    ports, parts = fake_ports()
    review = service.review_transcript(
        session,
        agent_id="agent-8",
        lines=[service.TranscriptLine(s, t) for s, t in COMPLIANT_CALL],
        now=NOW,
        actor=OFFICER,
        ports=ports,
    )
    assert review.clean and review.incident is None and not parts["compliance"].suspended


def test_debtor_lines_are_not_judged_as_collector_conduct(session: Session) -> None:
    ports, _parts = fake_ports()
    lines = [service.TranscriptLine("debtor", "你这个骗子，滚"), service.TranscriptLine("collector", "请您冷静，我们可以慢慢谈")]
    assert service.review_transcript(session, agent_id="agent-9", lines=lines, now=NOW, actor=OFFICER, ports=ports).clean


def test_closing_needs_an_officer_and_a_valid_outcome(session: Session) -> None:
    ports, parts = fake_ports()
    incident = service.review_transcript(session, agent_id="agent-7", lines=LINES, now=NOW, actor=OFFICER, ports=ports).incident
    later = NOW + timedelta(days=10)
    with pytest.raises(NotPermitted):
        service.close_incident(session, incident.id, outcome="warning", actor=COLLECTOR, now=later, ports=ports)
    with pytest.raises(RuleViolation) as err:
        service.close_incident(session, incident.id, outcome="retraining", actor=OFFICER, now=later, ports=ports)
    assert err.value.field == "retraining_completed_on"
    with pytest.raises(RuleViolation):
        service.close_incident(
            session,
            incident.id,
            outcome="retraining",
            actor=OFFICER,
            now=later,
            ports=ports,
            retraining_completed_on=NOW.date() - timedelta(days=1),
        )
    with pytest.raises(RuleViolation):
        service.close_incident(session, incident.id, outcome="praise", actor=OFFICER, now=later, ports=ports)
    closed = service.close_incident(
        session, incident.id, outcome="retraining", actor=OFFICER, now=later, ports=ports, retraining_completed_on=later.date()
    )
    assert closed.status == "closed" and parts["compliance"].reinstated == ["agent-7"]
    with pytest.raises(Conflict):
        service.close_incident(session, incident.id, outcome="warning", actor=OFFICER, now=later, ports=ports)


def test_dismissal_leaves_the_collector_suspended(session: Session) -> None:
    ports, parts = fake_ports()
    incident = service.review_transcript(session, agent_id="agent-7", lines=LINES, now=NOW, actor=OFFICER, ports=ports).incident
    service.close_incident(session, incident.id, outcome="dismissal", actor=OFFICER, now=NOW, ports=ports)
    assert "agent-7" in parts["compliance"].suspended and parts["compliance"].reinstated == []
    report = service.conduct_report(session)
    assert report.incidents_by_outcome == {"dismissal": 1} and report.incidents_by_rule["insult"] == 1


def test_suspension_through_the_real_compliance_engine_refuses_the_collector(session: Session) -> None:
    ports = default_ports()
    case = make_case(session)
    service.review_transcript(session, agent_id="agent-real", lines=LINES, now=NOW, actor=OFFICER, case=case, ports=ports)
    decision = ports.compliance.request_contact(
        session, case=case, channel="call", at=NOW, agent_id="agent-real", agent_kind="human", reserve=False
    )
    assert not decision.allowed
    assert "agent_suspended" in {r.rule for r in decision.reasons}


def test_recordings_are_encrypted_read_with_an_audit_and_refused_to_collectors(session: Session) -> None:
    ports, parts = fake_ports()
    rec = service.store_recording(
        session, data=b"audio-bytes", kind="audio", media_type="audio/wav", recorded_at=NOW, now=NOW, ports=ports
    )
    assert rec.sealed != b"audio-bytes" and rec.size == 11
    assert (
        service.read_recording(session, rec.id, actor=OFFICER, now=NOW, purpose="incident review", ports=ports) == b"audio-bytes"
    )
    assert parts["crypto"].audits[-1]["action"] == "conversation.recording.read"
    with pytest.raises(NotPermitted):
        service.read_recording(session, rec.id, actor=COLLECTOR, now=NOW, purpose="curious", ports=ports)
    with pytest.raises(RuleViolation):
        service.read_recording(session, rec.id, actor=OFFICER, now=NOW, purpose=" ", ports=ports)


def test_real_encryption_round_trips_and_rejects_another_context(session: Session) -> None:
    rec = service.store_recording(
        session, data="通话内容".encode(), kind="transcript", media_type="text/plain", recorded_at=NOW, now=NOW
    )
    assert "通话内容".encode() not in rec.sealed
    assert service.read_recording(session, rec.id, actor=OFFICER, now=NOW, purpose="audit").decode() == "通话内容"
    with pytest.raises(Exception):  # noqa: B017 - the security capability raises its own tamper error
        default_ports().crypto.decrypt_bytes(session, rec.sealed, context="conversation.recording:other")


def test_purge_deletes_expired_content_keeps_agreements_and_is_idempotent(session: Session) -> None:
    ports, parts = fake_ports()
    case = make_case(session)
    old = NOW - timedelta(days=731)
    expired = service.store_recording(
        session, data=b"a", kind="audio", media_type="audio/wav", recorded_at=old, now=old, ports=ports
    )
    agreement = service.store_recording(
        session,
        data=b"b",
        kind="audio",
        media_type="audio/wav",
        recorded_at=old,
        now=old,
        case=case,
        has_agreement=True,
        ports=ports,
    )
    fresh = service.store_recording(
        session, data=b"c", kind="audio", media_type="audio/wav", recorded_at=NOW - timedelta(days=729), now=NOW, ports=ports
    )
    report = jobs.purge_recordings(session, now=NOW, ports=ports)
    assert report.purged_ids == [expired.id] and report.kept_for_agreement == 1
    assert expired.sealed is None and expired.purged_at == NOW and fresh.sealed and agreement.sealed
    assert parts["crypto"].audits[-1]["action"] == "conversation.recording.purge"
    with pytest.raises(NotFound):
        service.read_recording(session, expired.id, actor=OFFICER, now=NOW, purpose="audit", ports=ports)
    assert jobs.purge_recordings(session, now=NOW, ports=ports).purged == 0
    case.recovered_amount = case.placed_amount
    assert jobs.purge_recordings(session, now=NOW, ports=ports).purged_ids == [agreement.id]


def test_what_only_the_semantic_guard_finds_is_flagged_for_review_not_suspended(session: Session) -> None:
    ports, parts = fake_ports()
    lines = [service.TranscriptLine("collector", "走路的时候多看看身后")]  # no rule matches; the semantic head does
    review = service.review_transcript(session, agent_id="agent-5", lines=lines, now=NOW, actor=OFFICER, ports=ports)
    assert review.clean and review.incident is None
    assert [v.rule for _i, v in review.flagged] == ["threat_violence"]
    assert not parts["compliance"].suspended
    rules_only = service.review_transcript(
        session, agent_id="agent-5", lines=lines, now=NOW, actor=OFFICER, ports=ports, semantic=False
    )
    assert rules_only.flagged == []
