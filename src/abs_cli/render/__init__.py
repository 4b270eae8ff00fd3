"""Output for people and scripts: the one renderer and the report views built on it."""
