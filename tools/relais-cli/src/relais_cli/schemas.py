"""JSON Schema files of the published events, generated from the contract models.

`python -m relais_cli.schemas write` rewrites schemas/events/*.json; `check` exits 1 when a file and
its model disagree (the CI contract test does the same).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from relais_platform.contracts import ALL_EVENTS
from relais_platform.events import Envelope, EventData

SCHEMAS_DIR = Path(__file__).resolve().parents[4] / "schemas" / "events"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(model: type[EventData]) -> dict[str, Any]:
    """The full CloudEvents (structured mode) schema of one event type, data included."""
    schema = Envelope[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["title"] = model.topic
    schema["description"] = (f"CloudEvents 1.0, structured mode, type `{model.event_type}` on topic "
                             f"`{model.topic}` (Kafka key = subject). {(model.__doc__ or '').strip()}")
    schema["properties"]["type"] = {"const": model.event_type, "title": "Type", "type": "string"}
    schema["properties"]["specversion"] = {"const": "1.0", "title": "Specversion", "type": "string"}
    return {"$schema": DIALECT, "$id": f"https://relais.example/schemas/events/{model.topic}.json", **schema}


def file_for(model: type[EventData]) -> Path:
    """Where the schema of `model` lives."""
    return SCHEMAS_DIR / f"{model.topic}.json"


def render(schema: dict[str, Any]) -> str:
    """Stable text of a schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def mismatches() -> list[str]:
    """Names of schema files that differ from their model (or are missing)."""
    bad = []
    for model in ALL_EVENTS:
        path = file_for(model)
        if not path.exists() or path.read_text(encoding="utf-8") != render(schema_for(model)):
            bad.append(path.name)
    return bad


def main(argv: list[str]) -> int:
    """`write` or `check`."""
    command = argv[1] if len(argv) > 1 else "check"
    if command == "write":
        SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
        for model in ALL_EVENTS:
            file_for(model).write_text(render(schema_for(model)), encoding="utf-8")
            print(f"wrote {file_for(model).relative_to(SCHEMAS_DIR.parents[1])}")
        return 0
    bad = mismatches()
    for name in bad:
        print(f"schemas/events/{name} disagrees with its Python model (run `make schemas` and review the diff)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
