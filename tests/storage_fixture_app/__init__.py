"""A test-only model app: one model and two migrations (create table, add column)."""
