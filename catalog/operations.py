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


class RunPostgresSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is a no-op elsewhere: schema only PostgreSQL has (generated
    tsvector columns, extensions, triggers), kept out of the model state like AddPostgresIndex."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemovePostgresIndex(AddPostgresIndex):
    """The reverse of AddPostgresIndex: drops a PostgreSQL-only index, and builds it again when unapplied."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        super().database_backwards(app_label, schema_editor, to_state, from_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        super().database_forwards(app_label, schema_editor, to_state, from_state)

    def describe(self):
        return f"Drop PostgreSQL-only index {self.index.name} on {self.model_name}"
