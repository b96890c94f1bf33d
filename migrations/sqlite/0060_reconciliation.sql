-- Reconciliation (对账, docs/exchange.md#reconciliation). A reconciliation is
-- one comparison of a party's statement for a day with our outbound messages
-- and the receipts applied; its items are every line compared: matched, or a
-- difference (missing_at_party, missing_at_us, amount_differs, date_differs).
-- A difference is never corrected by the platform: a user resolves it with a
-- comment (resolved_at, resolved_by, comment), in the audit trail.
CREATE TABLE IF NOT EXISTS growth_reconciliations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    party       TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    statement   TEXT    NOT NULL,
    run_at      TEXT NOT NULL,
    run_by      TEXT    NOT NULL,
    matched     INTEGER NOT NULL,
    differences INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_growth_reconciliations_party ON growth_reconciliations (party, day);

CREATE TABLE IF NOT EXISTS growth_reconciliation_items (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    reconciliation_id INTEGER NOT NULL REFERENCES growth_reconciliations (id),
    kind        TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL DEFAULT '',
    ref         TEXT    NOT NULL DEFAULT '',
    our_amount  TEXT    NOT NULL DEFAULT '',
    their_amount TEXT   NOT NULL DEFAULT '',
    our_date    TEXT    NOT NULL DEFAULT '',
    their_date  TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT '',
    serial      TEXT    NOT NULL DEFAULT '',
    resolved_at TEXT,
    resolved_by TEXT    NOT NULL DEFAULT '',
    comment     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_growth_reconciliation_items_rec ON growth_reconciliation_items (reconciliation_id);

-- The daily schedule of growth serve --reconcile-statements reconciles a
-- party's day once among all servers: its runs are by 'schedule'.
CREATE UNIQUE INDEX IF NOT EXISTS ux_growth_reconciliations_scheduled ON growth_reconciliations (party, day) WHERE run_by = 'schedule';
