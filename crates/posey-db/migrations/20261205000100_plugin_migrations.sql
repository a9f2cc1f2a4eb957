-- The migrations of the agents' plugins (each plugin's own tables, in a schema of its own),
-- applied once each by the agents service at start and recorded here by plugin and name.
CREATE TABLE agents.plugin_migrations (
    plugin text NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plugin, name)
);
