"""A mutation for every domain command, built from the commands themselves."""
