"""Migration operations for indexes only PostgreSQL has (the full-text GIN index)."""

from django.db import migrations


class AddPostgresIndex(migrations.AddIndex):
    """AddIndex that runs on PostgreSQL and is a no-op elsewhere (SQLite has no GIN).

    The index is kept out of the model state on purpose: SQLite must not try to build it, and
    `makemigrations` must not try to drop it.
    """

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def describe(self):
        return f"Create PostgreSQL-only index {self.index.name} on {self.model_name}"
