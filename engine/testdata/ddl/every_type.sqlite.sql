-- create table demo_grant for entity demo.grant
CREATE TABLE "demo_grant" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "doc_no" TEXT,
    "agency" TEXT,
    "amount" INTEGER,
    "used" INTEGER,
    "rate" INTEGER,
    "left" INTEGER,
    "start" TEXT,
    "approved_at" TEXT,
    "urgent" BOOLEAN,
    "kind" TEXT,
    "note" TEXT
);
CREATE UNIQUE INDEX "ux_demo_grant_year_doc_no" ON "demo_grant" ("year", "doc_no");
CREATE INDEX "ix_demo_grant_agency_id" ON "demo_grant" ("agency", "id");
CREATE INDEX "ix_demo_grant_agency_p3_id" ON "demo_grant" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_demo_grant_created_by_id" ON "demo_grant" ("created_by", "id");
CREATE INDEX "ix_demo_grant_year" ON "demo_grant" ("year");

-- create table demo_spend for entity demo.spend
CREATE TABLE "demo_spend" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "grant" INTEGER,
    "amount" INTEGER
);
CREATE INDEX "ix_demo_spend_created_by_id" ON "demo_spend" ("created_by", "id");
CREATE INDEX "ix_demo_spend_grant" ON "demo_spend" ("grant");

