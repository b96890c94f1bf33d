-- Scheduled rules run once per due time across several servers: a run
-- claims its slot (the tick's time truncated to the schedule's interval)
-- with a row here, inside the run's own transaction, so that the claim and
-- the records the run created commit or roll back together. A second
-- server's insert of the same slot waits for the first run and then finds
-- it done (or, if that run rolled back, claims it itself).
CREATE TABLE IF NOT EXISTS growth_schedule_runs (
    schedule    TEXT    NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    ran_by      TEXT    NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    examined    BIGINT NOT NULL DEFAULT 0,
    matched     BIGINT NOT NULL DEFAULT 0,
    created     BIGINT NOT NULL DEFAULT 0,
    skipped     BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule, due_at)
);
