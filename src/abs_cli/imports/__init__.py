"""The one streaming import engine and an importer per kind of file (DESIGN.md §4).

Only `engine` and `registry` are imported by callers; each kind lives in its own module.
"""
