"""Rep loads kept as counters by a trigger on handoffs: counting a rep's open and today's handoffs for every
batch read more rows as handoffs piled up (tens of thousands after a minute at 500 leads/s), so routing slowed
down the longer it ran. The trigger keeps both counts exact in the transaction that changes a handoff.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Today's assignments are kept per 15-minute bucket of assigned_at: every time zone's offset is a multiple of
# 15 minutes, so a rep's local midnight is always a bucket boundary and a day is at most 100 buckets to sum.
TRIGGER = """
CREATE FUNCTION handoffs_count_loads() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open boolean := TG_OP <> 'INSERT' AND OLD.state IN ('open', 'accepted');
    is_open boolean := TG_OP <> 'DELETE' AND NEW.state IN ('open', 'accepted');
    same_owner boolean := TG_OP = 'UPDATE' AND NEW.owner_id = OLD.owner_id;
    same_bucket boolean := same_owner AND NEW.assigned_at = OLD.assigned_at;
BEGIN
    IF was_open AND NOT (is_open AND same_owner) THEN
        UPDATE rep_open_loads SET open = open - 1 WHERE owner_id = OLD.owner_id;
    END IF;
    IF is_open AND NOT (was_open AND same_owner) THEN
        INSERT INTO rep_open_loads AS l (owner_id, open) VALUES (NEW.owner_id, 1)
        ON CONFLICT (owner_id) DO UPDATE SET open = l.open + 1;
    END IF;
    IF TG_OP <> 'INSERT' AND NOT same_bucket THEN
        UPDATE rep_assignments SET n = n - 1
        WHERE owner_id = OLD.owner_id AND bucket = date_bin('15 minutes', OLD.assigned_at, 'epoch');
    END IF;
    IF TG_OP <> 'DELETE' AND NOT same_bucket THEN
        INSERT INTO rep_assignments AS a (owner_id, bucket, n)
        VALUES (NEW.owner_id, date_bin('15 minutes', NEW.assigned_at, 'epoch'), 1)
        ON CONFLICT (owner_id, bucket) DO UPDATE SET n = a.n + 1;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE TABLE rep_open_loads (owner_id varchar(100) PRIMARY KEY, open integer NOT NULL)")
    op.execute(
        "CREATE TABLE rep_assignments (owner_id varchar(100), bucket timestamptz, n integer NOT NULL, "
        "PRIMARY KEY (owner_id, bucket))"
    )
    op.execute(TRIGGER)
    # Only changes of owner, state or assignment time move a count; other updates (reason, closed_at) skip it.
    op.execute(
        "CREATE TRIGGER handoffs_count_loads AFTER INSERT OR DELETE OR UPDATE OF owner_id, state, assigned_at "
        "ON handoffs FOR EACH ROW EXECUTE FUNCTION handoffs_count_loads()"
    )
    op.execute("LOCK TABLE handoffs IN SHARE MODE")  # no handoff changes between the counts and the trigger
    op.execute(
        "INSERT INTO rep_open_loads (owner_id, open) SELECT owner_id, count(*) FROM handoffs "
        "WHERE state IN ('open', 'accepted') GROUP BY owner_id"
    )
    op.execute(
        "INSERT INTO rep_assignments (owner_id, bucket, n) "
        "SELECT owner_id, date_bin('15 minutes', assigned_at, 'epoch'), count(*) FROM handoffs GROUP BY 1, 2"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER handoffs_count_loads ON handoffs")
    op.execute("DROP FUNCTION handoffs_count_loads()")
    op.execute("DROP TABLE rep_assignments")
    op.execute("DROP TABLE rep_open_loads")
