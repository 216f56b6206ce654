-- A callback is reserved to the agent who took it (default) or open to the whole site: then, when it falls
-- due on a day its holder does not work, the case goes back to the site's queue for another agent.
ALTER TABLE attempts ADD COLUMN callback_open_to_site boolean NOT NULL DEFAULT false;
