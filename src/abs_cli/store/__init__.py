"""The store: SQLModel tables, engine creation and migrations."""
