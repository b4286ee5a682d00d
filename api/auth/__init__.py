"""Bearer tokens per organization, each with a role, and what each role may do."""
