-- The outbox becomes a queue: the relay deletes the rows it published (Kafka holds the events) instead of
-- rewriting each ~1 KB row with a published_at stamp, which doubled the outbox's write cost in PostgreSQL.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX outbox_unpublished;
ALTER TABLE outbox DROP COLUMN published_at;
