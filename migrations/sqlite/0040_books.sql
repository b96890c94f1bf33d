-- Books: accounting vouchers (记账凭证) posted by the postings of the
-- definitions, in the transaction of the event that caused them. Amounts are
-- integer fen, never float. Vouchers and their lines are never updated or
-- deleted: a correction is a reversing voucher (reverses names the voucher it
-- reverses; a voucher is reversed at most once).
CREATE TABLE IF NOT EXISTS growth_book_periods (
    period     TEXT    PRIMARY KEY,          -- 2026-01
    last_seq   INTEGER NOT NULL DEFAULT 0,   -- the last voucher number given in the period
    closed_at  TEXT    NOT NULL DEFAULT '',  -- empty while the period is open
    closed_by  TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS growth_vouchers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chart          TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    voucher_date   TEXT    NOT NULL,
    summary        TEXT    NOT NULL DEFAULT '',
    source_app     TEXT    NOT NULL,
    source_entity  TEXT    NOT NULL,
    source_id      INTEGER NOT NULL,
    source_version INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    posting        TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    reverses       INTEGER UNIQUE,
    UNIQUE (period, seq),
    UNIQUE (source_app, source_entity, source_id, source_version, posting)
);
CREATE INDEX IF NOT EXISTS ix_growth_vouchers_source ON growth_vouchers (source_app, source_entity, source_id);

CREATE TABLE IF NOT EXISTS growth_voucher_lines (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    voucher_id INTEGER NOT NULL REFERENCES growth_vouchers (id),
    line_no    INTEGER NOT NULL,
    account    TEXT    NOT NULL,
    debit      INTEGER NOT NULL DEFAULT 0 CHECK (debit >= 0),
    credit     INTEGER NOT NULL DEFAULT 0 CHECK (credit >= 0),
    dims       TEXT    NOT NULL DEFAULT '{}',
    summary    TEXT    NOT NULL DEFAULT '',
    UNIQUE (voucher_id, line_no)
);
CREATE INDEX IF NOT EXISTS ix_growth_voucher_lines_account ON growth_voucher_lines (account, voucher_id);

-- Debit and credit totals per chart, account and period, kept for speed and
-- recomputed from the lines by growth books verify.
CREATE TABLE IF NOT EXISTS growth_book_balances (
    chart   TEXT    NOT NULL,
    account TEXT    NOT NULL,
    period  TEXT    NOT NULL,
    debit   INTEGER NOT NULL DEFAULT 0,
    credit  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chart, account, period)
);
