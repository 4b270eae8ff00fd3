"""Customer records: the team, accounts, leads, their activities and the store settings."""
