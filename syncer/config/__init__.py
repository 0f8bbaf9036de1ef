"""Configuration: the file's schema, loading it (YAML, ${VAR}, *_file), run settings, schedules."""
