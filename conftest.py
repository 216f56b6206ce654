"""Root conftest: every suite shares the platform's pytest plugin (real PostgreSQL and Kafka helpers)."""

pytest_plugins = ["relais_platform.testing"]
