from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.builders import make_case
from typer.testing import CliRunner

import qingzhai.api.errors
import qingzhai.compliance.models
import qingzhai.execution.models
import qingzhai.security.models
from qingzhai import clock
from qingzhai.conversation.api import router
from qingzhai.conversation.cli import bot_app, conduct_app, conversation_app
from qingzhai.conversation.ports import VoiceEngines, VoiceUnavailable, default_voice_engines, voice_status
from qingzhai.conversation.testing import RecordingSynthesizer, ScriptedRecognizer
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory
from qingzhai.registry.models import Debtor
from qingzhai.sim.personas import VIOLATING_CALL

runner = CliRunner()
DAYTIME = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 in Shanghai


@pytest.fixture
def daytime(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: DAYTIME)
    return DAYTIME


def _case(url: str) -> tuple[str, str]:
    with session_factory(engine_for(url))() as session:
        case = make_case(session)
        tail = session.get(Debtor, case.debtor_id).id_number[-4:]
        session.commit()
        return str(case.number), tail


@pytest.mark.slow
def test_analyze_reads_lines_and_jsonl_and_writes_jsonl(daytime: datetime) -> None:
    result = runner.invoke(conversation_app, ["analyze"], input='下周五还五千\n\n{"text": "别再给我打电话了"}\n')
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["intent"] for r in rows] == ["promise_to_pay", "cease_request"]
    assert rows[0]["promise"]["amount"] == "5000.00" and rows[0]["promise"]["date"] == "2026-12-04"
    assert set(rows[0]) == {"text", "emotion", "emotion_confidence", "intent", "intent_confidence", "promise"}


def test_analyze_refuses_jsonl_without_text() -> None:
    result = runner.invoke(conversation_app, ["analyze"], input='{"words": "hi"}\n')
    assert result.exit_code == 2


def test_conduct_check_writes_violations_per_line() -> None:
    result = runner.invoke(conduct_app, ["check"], input="我们不会联系您的家人\n不还就让你坐牢\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["violations"] == []
    assert rows[1]["violations"][0]["rule"] == "false_legal_consequence"
    assert set(rows[1]["violations"][0]) == {"rule", "span", "severity"}


@pytest.mark.slow
def test_bot_chat_in_the_terminal_records_a_promise(fresh_db: str, daytime: datetime) -> None:
    number, tail = _case(fresh_db)
    result = runner.invoke(bot_app, ["chat", number], input=f"是我\n{tail}\n下周五我还五千\n")
    assert result.exit_code == 0, result.output
    assert "promise" in result.output


def test_review_opens_incident_and_the_officer_closes_it(fresh_db: str, daytime: datetime, tmp_path) -> None:
    path = tmp_path / "call.txt"
    path.write_text("\n".join(f"{s}: {t}" for s, t in VIOLATING_CALL), encoding="utf-8")
    result = runner.invoke(conduct_app, ["review", "agent-cli", str(path), "--json"])
    assert result.exit_code == 0, result.output
    incident = json.loads(result.stdout)["incident"]
    assert incident["status"] == "open"
    listed = json.loads(runner.invoke(conduct_app, ["incidents", "list", "--json"]).stdout)
    assert listed["total"] == 1
    bad = runner.invoke(conduct_app, ["incidents", "close", incident["id"], "--outcome", "retraining"])
    assert bad.exit_code == 2
    ok = runner.invoke(
        conduct_app,
        ["incidents", "close", incident["id"], "--outcome", "retraining", "--retraining-completed", "2026-11-25", "--json"],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["outcome"] == "retraining"
    assert runner.invoke(conduct_app, ["incidents", "report", "--json"]).exit_code == 0


def test_voice_status_degrades_with_a_clear_message() -> None:
    result = runner.invoke(bot_app, ["voice"])
    assert result.exit_code == 0 and "tts" in result.stdout


def _client(url: str, role: Role = Role.compliance_officer) -> TestClient:
    engine = engine_for(url)
    api = FastAPI()
    qingzhai.api.errors.install(api)
    api.state.engine = engine
    api.state.sessions = session_factory(engine)
    api.state.actor_resolver = lambda _request: Actor(id="officer", name="officer", role=role)
    api.include_router(router)
    return TestClient(api)


@pytest.mark.slow
def test_http_bot_channel_dispute_places_a_hold(fresh_db: str, daytime: datetime) -> None:
    number, tail = _case(fresh_db)
    client = _client(fresh_db)
    start = client.post("/bot/conversations", json={"case": number, "channel": "message"})
    assert start.status_code == 201, start.text
    conv = start.json()["conversation"]["id"]
    assert "本人" in start.json()["reply"]
    for text in ("是我", tail, "这笔钱不是我借的，你们搞错人了"):
        r = client.post(f"/bot/conversations/{conv}/turns", json={"text": text})
        assert r.status_code == 200, r.text
    assert r.json()["conversation"]["outcome"] == "dispute" and r.json()["ended"]
    again = client.post(f"/bot/conversations/{conv}/turns", json={"text": "喂"})
    assert again.status_code == 409
    transcript = client.get(f"/bot/conversations/{conv}/transcript").json()
    assert transcript[2]["intent"] is None and transcript[-2]["intent"] == "dispute"
    assert client.post("/bot/conversations", json={"case": number, "channel": "pigeon"}).status_code in (400, 422)


def test_http_conduct_check_review_and_incidents(fresh_db: str, daytime: datetime) -> None:
    client = _client(fresh_db)
    r = client.post("/conduct/check", json={"texts": ["我们不会联系您的家人", "你这个老赖"]})
    assert r.status_code == 200 and r.json()[0]["violations"] == [] and r.json()[1]["violations"][0]["rule"] == "insult"
    review = client.post(
        "/conduct/reviews", json={"agent_id": "agent-http", "lines": [{"speaker": s, "text": t} for s, t in VIOLATING_CALL]}
    )
    assert review.status_code == 200 and review.json()["incident"]["status"] == "open"
    incident_id = review.json()["incident"]["id"]
    page = client.get("/conduct/incidents", params={"status": "open"}).json()
    assert page["total"] == 1
    closed = client.post(f"/conduct/incidents/{incident_id}/close", json={"outcome": "warning"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.get("/conduct/report").json()["incidents_by_outcome"] == {"warning": 1}
    assert client.post("/conduct/check", json={"texts": [], "x": 1}).status_code in (400, 422)


def _voice_client(url: str, voice: VoiceEngines | None) -> TestClient:
    client = _client(url)

    def engines() -> VoiceEngines:
        if voice is None:
            raise VoiceUnavailable("speech recognition needs faster-whisper; use the text channel", field="voice")
        return voice

    client.app.dependency_overrides[default_voice_engines] = engines
    return client


@pytest.mark.slow
def test_http_voice_turn_hears_the_debtor_and_returns_the_spoken_reply(fresh_db: str, daytime: datetime) -> None:
    number, tail = _case(fresh_db)
    ears, mouth = ScriptedRecognizer(["是我", tail, "别再给我打电话了"]), RecordingSynthesizer()
    client = _voice_client(fresh_db, VoiceEngines(recognizer=ears, synthesizer=mouth))
    conv = client.post("/bot/conversations", json={"case": number, "channel": "bot_call"}).json()["conversation"]["id"]
    for n in range(3):
        clip = (f"t{n}.wav", b"RIFF-debtor-%d" % n, "audio/wav")
        r = client.post(f"/bot/conversations/{conv}/voice-turns", files={"audio": clip})
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["heard"] == "别再给我打电话了" and body["conversation"]["outcome"] == "cease" and body["ended"]
    assert base64.b64decode(body["reply_audio_wav"]) == b"RIFF" + body["reply"].encode()
    assert ears.clips == [b"RIFF-debtor-0", b"RIFF-debtor-1", b"RIFF-debtor-2"]
    transcript = client.get(f"/bot/conversations/{conv}/transcript").json()
    assert transcript[-2]["text"] == "别再给我打电话了" and transcript[-2]["intent"] == "cease_request"


def test_http_voice_turn_refuses_empty_audio_naming_the_field(fresh_db: str, daytime: datetime) -> None:
    number, _tail = _case(fresh_db)
    client = _voice_client(fresh_db, VoiceEngines(recognizer=ScriptedRecognizer([]), synthesizer=RecordingSynthesizer()))
    conv = client.post("/bot/conversations", json={"case": number, "channel": "bot_call"}).json()["conversation"]["id"]
    r = client.post(f"/bot/conversations/{conv}/voice-turns", files={"audio": ("empty.wav", b"", "audio/wav")})
    assert r.status_code == 422 and r.json()["field"] == "audio"


def test_http_voice_turn_without_speech_engines_is_503_and_the_text_channel_still_works(fresh_db: str, daytime: datetime) -> None:
    number, _tail = _case(fresh_db)
    client = _voice_client(fresh_db, None)
    conv = client.post("/bot/conversations", json={"case": number, "channel": "bot_call"}).json()["conversation"]["id"]
    r = client.post(f"/bot/conversations/{conv}/voice-turns", files={"audio": ("a.wav", b"RIFF", "audio/wav")})
    assert r.status_code == 503 and r.json()["title"] == "voice_unavailable" and "text channel" in r.json()["detail"]
    assert client.post(f"/bot/conversations/{conv}/turns", json={"text": "是我"}).status_code == 200


def test_bot_call_names_a_missing_audio_file(tmp_path) -> None:
    result = runner.invoke(bot_app, ["call", "1", str(tmp_path / "nope.wav")])
    assert result.exit_code == 2 and "nope.wav" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("fresh_db", ["sqlite"], indirect=True)  # the speech engines do not depend on the database
def test_bot_call_answers_recorded_speech_with_spoken_replies(fresh_db: str, daytime: datetime, tmp_path) -> None:
    status = voice_status()
    if any(v.startswith("unavailable") for v in status.values()):
        pytest.skip(f"speech engines missing here: {status}")
    number, _tail = _case(fresh_db)
    mouth = default_voice_engines().synthesizer
    clips = []
    for n, said in enumerate(("是我，有什么事吗", "以后不要再给我打电话了")):
        clips.append(tmp_path / f"debtor-{n}.wav")
        clips[-1].write_bytes(mouth.synthesize(said))
    out = tmp_path / "replies"
    result = runner.invoke(bot_app, ["call", number, *map(str, clips), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "debtor-0.wav" in result.output and "debtor-1.wav" in result.output
    replies = sorted(out.glob("*-bot.wav"))
    assert [p.name for p in replies] == ["00-bot.wav", "01-bot.wav", "02-bot.wav"]
    assert all(p.read_bytes()[:4] == b"RIFF" for p in replies)
