"""The Kubernetes manifests in deploy/k8s agree with the code: commands, settings, probes, topics."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from relais_campaigns.config import Settings as CampaignsSettings
from relais_intake.config import Settings as IntakeSettings
from relais_outcomes.config import Settings as OutcomesSettings
from relais_platform.contracts import Topics

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SETTINGS = {"intake": IntakeSettings, "campaigns": CampaignsSettings, "outcomes": OutcomesSettings}


def _documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return docs


def _of_kind(kind: str) -> list[dict]:
    return [d for d in _documents() if d["kind"] == kind]


def _console_scripts() -> set[str]:
    scripts: set[str] = set()
    for pyproject in ROOT.glob("services/*/pyproject.toml"):
        scripts |= set(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return scripts


def test_every_resource_listed_by_kustomize_exists_and_parses() -> None:
    assert {d["kind"] for d in _documents()} >= {"Deployment", "Service", "ConfigMap", "KafkaTopic", "Cluster", "Job"}


def test_each_service_has_an_api_a_worker_and_a_relay_running_a_real_command() -> None:
    scripts = _console_scripts()
    commands = {}
    for deployment in _of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        script, role = container["command"]
        assert script in scripts and role in {"api", "worker", "relay"}
        commands[deployment["metadata"]["name"]] = (script, role)
    assert commands == {f"{s}-{r}": (f"relais-{s}", r) for s in SETTINGS for r in ("api", "worker", "relay")}


def test_workers_leave_publishing_to_the_relay_deployment_and_set_only_their_services_settings() -> None:
    for deployment in _of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        if container["command"][1] == "worker":
            env = {e["name"]: e["value"] for e in container.get("env", [])}
            assert env["RELAIS_OUTBOX_RELAY_IN_WORKER"] == "false"
            settings = SETTINGS[container["command"][0].removeprefix("relais-")]
            assert settings(**{name.removeprefix("RELAIS_").lower(): value for name, value in env.items()})
            assert all(e.removeprefix("RELAIS_").lower() in settings.model_fields for e in env)


def test_api_probes_use_the_health_routes() -> None:
    for deployment in _of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        if container["command"][1] == "api":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_config_keys_are_settings_every_service_reads() -> None:
    (config,) = _of_kind("ConfigMap")
    for key in config["data"]:
        assert key.startswith("RELAIS_")
        field = key.removeprefix("RELAIS_").lower()
        assert all(field in s.model_fields for s in SETTINGS.values()), f"{key} is not a setting"
    assert config["data"]["RELAIS_ENV"] == "production"  # so a default JWT secret is refused at start


def test_every_contract_topic_is_declared_once() -> None:
    names = [t["spec"]["topicName"] for t in _of_kind("KafkaTopic")]
    assert sorted(names) == sorted(Topics.ALL)


def test_workers_and_relays_serve_metrics_where_prometheus_is_told_to_scrape() -> None:
    """They serve no API: their /metrics are on RELAIS_METRICS_PORT, which the pod's annotations and port name."""
    checked = set()
    for deployment in _of_kind("Deployment"):
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        if container["command"][1] not in ("worker", "relay"):
            continue
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
        assert env["RELAIS_METRICS_PORT"] == annotations["prometheus.io/port"]
        assert {"name": "metrics", "containerPort": int(env["RELAIS_METRICS_PORT"])} in container["ports"]
        checked.add(deployment["metadata"]["name"])
    assert checked == {f"{s}-{r}" for s in SETTINGS for r in ("worker", "relay")}
