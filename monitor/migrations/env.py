"""Alembic environment: runs on the engine govwatch opened (see monitor.database)."""

from alembic import context

from monitor.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    context.run_migrations()
