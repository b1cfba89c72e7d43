"""Reports: findings → view models → HTML (Jinja2), CSV and text."""
