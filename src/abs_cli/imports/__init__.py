"""The one streaming import engine and an importer per kind of file (docs/domain.md §4).

Only `engine` and `registry` are imported by callers; each kind lives in its own module.
"""
