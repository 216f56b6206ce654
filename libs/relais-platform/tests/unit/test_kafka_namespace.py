"""Topic namespaces let a bench or test run an isolated copy of the services on the same broker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from relais_platform.config import PlatformSettings
from relais_platform.contracts import Topics
from relais_platform.kafka import make_faust_app, namespaced


def test_the_empty_namespace_is_the_contract_name() -> None:
    assert namespaced(Topics.CASES_OPENED) == "relais.cases.opened.v1"
    assert namespaced(Topics.CASES_OPENED, "bench-1") == "bench-1.relais.cases.opened.v1"


def test_a_faust_app_subscribes_to_namespaced_topics(tmp_path) -> None:
    app = make_faust_app(app_id="ns-test", bootstrap="127.0.0.1:1", datadir=tmp_path, topic_namespace="bench-1")
    assert app.topic(Topics.ATTEMPTS).get_topic_name() == "bench-1.relais.campaigns.attempts.v1"
    plain = make_faust_app(app_id="ns-test2", bootstrap="127.0.0.1:1", datadir=tmp_path)
    assert plain.topic(Topics.ATTEMPTS).get_topic_name() == Topics.ATTEMPTS


def test_a_namespace_is_a_safe_topic_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_TOPIC_NAMESPACE", "Bad Prefix!")
    with pytest.raises(ValidationError, match="topic_namespace"):
        PlatformSettings()
