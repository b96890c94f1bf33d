-- create table basedata_project for entity basedata.project
CREATE TABLE "basedata_project" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "code" TEXT,
    "name" TEXT,
    "agency" TEXT,
    "start_year" INTEGER,
    "end_year" INTEGER,
    "total_budget" INTEGER,
    "status" TEXT
);
CREATE UNIQUE INDEX "ux_basedata_project_code" ON "basedata_project" ("code");
CREATE INDEX "ix_basedata_project_agency_id" ON "basedata_project" ("agency", "id");
CREATE INDEX "ix_basedata_project_agency_p3_id" ON "basedata_project" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_basedata_project_agency_p6_id" ON "basedata_project" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_basedata_project_created_by_id" ON "basedata_project" ("created_by", "id");

-- create table basedata_bank_account for entity basedata.bank_account
CREATE TABLE "basedata_bank_account" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "account_no" TEXT,
    "name" TEXT,
    "bank" TEXT,
    "account_type" TEXT,
    "agency" TEXT,
    "enabled" BOOLEAN
);
CREATE UNIQUE INDEX "ux_basedata_bank_account_account_no" ON "basedata_bank_account" ("account_no");
CREATE INDEX "ix_basedata_bank_account_agency_id" ON "basedata_bank_account" ("agency", "id");
CREATE INDEX "ix_basedata_bank_account_agency_p3_id" ON "basedata_bank_account" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_basedata_bank_account_agency_p6_id" ON "basedata_bank_account" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_basedata_bank_account_created_by_id" ON "basedata_bank_account" ("created_by", "id");

-- create table budget_budget for entity budget.budget
CREATE TABLE "budget_budget" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "agency" TEXT,
    "requested" INTEGER,
    "request_note" TEXT,
    "control_amount" INTEGER,
    "control_doc_no" TEXT,
    "approved_doc_no" TEXT,
    "detail_total" INTEGER,
    "line_count" INTEGER,
    "remaining" INTEGER
);
CREATE INDEX "ix_budget_budget_state" ON "budget_budget" ("state");
CREATE UNIQUE INDEX "ux_budget_budget_year_agency" ON "budget_budget" ("year", "agency");
CREATE INDEX "ix_budget_budget_agency_id" ON "budget_budget" ("agency", "id");
CREATE INDEX "ix_budget_budget_agency_p3_id" ON "budget_budget" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_budget_budget_agency_p6_id" ON "budget_budget" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_budget_budget_created_by_id" ON "budget_budget" ("created_by", "id");
CREATE INDEX "ix_budget_budget_year" ON "budget_budget" ("year");
CREATE INDEX "ix_budget_budget_division" ON "budget_budget" ("division");

-- create table budget_line for entity budget.line
CREATE TABLE "budget_line" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "budget" INTEGER,
    "year" INTEGER,
    "agency" TEXT,
    "kind" TEXT,
    "project" INTEGER,
    "func_class" TEXT,
    "gov_econ" TEXT,
    "dept_econ" TEXT,
    "fund_nature" TEXT,
    "amount" INTEGER,
    "remark" TEXT
);
CREATE INDEX "ix_budget_line_agency_id" ON "budget_line" ("agency", "id");
CREATE INDEX "ix_budget_line_agency_p3_id" ON "budget_line" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_budget_line_agency_p6_id" ON "budget_line" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_budget_line_created_by_id" ON "budget_line" ("created_by", "id");
CREATE INDEX "ix_budget_line_budget" ON "budget_line" ("budget");
CREATE INDEX "ix_budget_line_year" ON "budget_line" ("year");
CREATE INDEX "ix_budget_line_kind" ON "budget_line" ("kind");
CREATE INDEX "ix_budget_line_project" ON "budget_line" ("project");
CREATE INDEX "ix_budget_line_func_class" ON "budget_line" ("func_class");
CREATE INDEX "ix_budget_line_gov_econ" ON "budget_line" ("gov_econ");
CREATE INDEX "ix_budget_line_fund_nature" ON "budget_line" ("fund_nature");

-- create table debt_limit for entity debt.limit
CREATE TABLE "debt_limit" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "kind" TEXT,
    "amount" INTEGER,
    "parent" INTEGER,
    "doc_no" TEXT,
    "fiscal_capacity" INTEGER,
    "opening_balance" INTEGER,
    "children_total" INTEGER,
    "bonds_issued" INTEGER,
    "onlent_in" INTEGER,
    "repaid" INTEGER,
    "debt_balance" INTEGER,
    "headroom" INTEGER,
    "debt_ratio" INTEGER,
    "over_warning_line" BOOLEAN,
    "remark" TEXT
);
CREATE UNIQUE INDEX "ux_debt_limit_division_year_kind" ON "debt_limit" ("division", "year", "kind");
CREATE INDEX "ix_debt_limit_division_id" ON "debt_limit" ("division", "id");
CREATE INDEX "ix_debt_limit_created_by_id" ON "debt_limit" ("created_by", "id");
CREATE INDEX "ix_debt_limit_year" ON "debt_limit" ("year");
CREATE INDEX "ix_debt_limit_kind" ON "debt_limit" ("kind");
CREATE INDEX "ix_debt_limit_parent" ON "debt_limit" ("parent");
CREATE INDEX "ix_debt_limit_over_warning_line" ON "debt_limit" ("over_warning_line");

-- create table debt_bond for entity debt.bond
CREATE TABLE "debt_bond" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "code" TEXT,
    "name" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "limit" INTEGER,
    "kind" TEXT,
    "purpose" TEXT,
    "issue_date" TEXT,
    "term_years" INTEGER,
    "coupon" INTEGER,
    "face_value" INTEGER,
    "maturity_date" TEXT,
    "annual_interest" INTEGER,
    "scheduled_principal" INTEGER,
    "scheduled_interest" INTEGER,
    "schedule_count" INTEGER,
    "repaid_principal" INTEGER,
    "remark" TEXT
);
CREATE INDEX "ix_debt_bond_state" ON "debt_bond" ("state");
CREATE UNIQUE INDEX "ux_debt_bond_code" ON "debt_bond" ("code");
CREATE INDEX "ix_debt_bond_created_by_id" ON "debt_bond" ("created_by", "id");
CREATE INDEX "ix_debt_bond_year" ON "debt_bond" ("year");
CREATE INDEX "ix_debt_bond_limit" ON "debt_bond" ("limit");
CREATE INDEX "ix_debt_bond_kind" ON "debt_bond" ("kind");
CREATE INDEX "ix_debt_bond_purpose" ON "debt_bond" ("purpose");

-- create table debt_schedule for entity debt.schedule
CREATE TABLE "debt_schedule" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "bond" INTEGER,
    "seq" INTEGER,
    "due_date" TEXT,
    "principal" INTEGER,
    "interest" INTEGER,
    "repaid_principal" INTEGER
);
CREATE UNIQUE INDEX "ux_debt_schedule_bond_seq" ON "debt_schedule" ("bond", "seq");
CREATE INDEX "ix_debt_schedule_created_by_id" ON "debt_schedule" ("created_by", "id");
CREATE INDEX "ix_debt_schedule_bond" ON "debt_schedule" ("bond");
CREATE INDEX "ix_debt_schedule_due_date" ON "debt_schedule" ("due_date");

-- create table debt_onlending for entity debt.onlending
CREATE TABLE "debt_onlending" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "agreement_no" TEXT,
    "year" INTEGER,
    "bond" INTEGER,
    "source" INTEGER,
    "kind" TEXT,
    "from_division" TEXT,
    "division" TEXT,
    "limit" INTEGER,
    "amount" INTEGER,
    "onlent_on" TEXT,
    "remark" TEXT
);
CREATE INDEX "ix_debt_onlending_state" ON "debt_onlending" ("state");
CREATE INDEX "ix_debt_onlending_division_id" ON "debt_onlending" ("division", "id");
CREATE INDEX "ix_debt_onlending_created_by_id" ON "debt_onlending" ("created_by", "id");
CREATE INDEX "ix_debt_onlending_year" ON "debt_onlending" ("year");
CREATE INDEX "ix_debt_onlending_bond" ON "debt_onlending" ("bond");
CREATE INDEX "ix_debt_onlending_source" ON "debt_onlending" ("source");
CREATE INDEX "ix_debt_onlending_kind" ON "debt_onlending" ("kind");
CREATE INDEX "ix_debt_onlending_from_division" ON "debt_onlending" ("from_division");
CREATE INDEX "ix_debt_onlending_limit" ON "debt_onlending" ("limit");

-- create table debt_allocation for entity debt.allocation
CREATE TABLE "debt_allocation" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "bond" INTEGER,
    "onlending" INTEGER,
    "kind" TEXT,
    "division" TEXT,
    "project_code" TEXT,
    "project_name" TEXT,
    "func_class" TEXT,
    "amount" INTEGER,
    "allocated_on" TEXT,
    "remark" TEXT
);
CREATE INDEX "ix_debt_allocation_state" ON "debt_allocation" ("state");
CREATE UNIQUE INDEX "ux_debt_allocation_bond_division_project_code" ON "debt_allocation" ("bond", "division", "project_code");
CREATE INDEX "ix_debt_allocation_division_id" ON "debt_allocation" ("division", "id");
CREATE INDEX "ix_debt_allocation_created_by_id" ON "debt_allocation" ("created_by", "id");
CREATE INDEX "ix_debt_allocation_year" ON "debt_allocation" ("year");
CREATE INDEX "ix_debt_allocation_bond" ON "debt_allocation" ("bond");
CREATE INDEX "ix_debt_allocation_onlending" ON "debt_allocation" ("onlending");
CREATE INDEX "ix_debt_allocation_kind" ON "debt_allocation" ("kind");
CREATE INDEX "ix_debt_allocation_func_class" ON "debt_allocation" ("func_class");

-- create table debt_repayment for entity debt.repayment
CREATE TABLE "debt_repayment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "limit" INTEGER,
    "bond" INTEGER,
    "schedule" INTEGER,
    "onlending" INTEGER,
    "principal" INTEGER,
    "interest" INTEGER,
    "paid_on" TEXT,
    "voucher_no" TEXT
);
CREATE INDEX "ix_debt_repayment_state" ON "debt_repayment" ("state");
CREATE INDEX "ix_debt_repayment_division_id" ON "debt_repayment" ("division", "id");
CREATE INDEX "ix_debt_repayment_created_by_id" ON "debt_repayment" ("created_by", "id");
CREATE INDEX "ix_debt_repayment_year" ON "debt_repayment" ("year");
CREATE INDEX "ix_debt_repayment_limit" ON "debt_repayment" ("limit");
CREATE INDEX "ix_debt_repayment_bond" ON "debt_repayment" ("bond");
CREATE INDEX "ix_debt_repayment_schedule" ON "debt_repayment" ("schedule");
CREATE INDEX "ix_debt_repayment_onlending" ON "debt_repayment" ("onlending");

-- create table disaster_fund for entity disaster.fund
CREATE TABLE "disaster_fund" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "disaster" TEXT,
    "source" TEXT,
    "doc_no" TEXT,
    "func_class" TEXT,
    "special_account" TEXT,
    "amount" INTEGER,
    "received_on" TEXT,
    "allocated" INTEGER,
    "paid" INTEGER,
    "allocation_rate" INTEGER,
    "remark" TEXT
);
CREATE INDEX "ix_disaster_fund_division_id" ON "disaster_fund" ("division", "id");
CREATE INDEX "ix_disaster_fund_created_by_id" ON "disaster_fund" ("created_by", "id");
CREATE INDEX "ix_disaster_fund_year" ON "disaster_fund" ("year");
CREATE INDEX "ix_disaster_fund_disaster" ON "disaster_fund" ("disaster");
CREATE INDEX "ix_disaster_fund_source" ON "disaster_fund" ("source");

-- create table disaster_project for entity disaster.project
CREATE TABLE "disaster_project" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "code" TEXT,
    "name" TEXT,
    "division" TEXT,
    "disaster" TEXT,
    "category" TEXT,
    "implementer" TEXT,
    "contractor" TEXT,
    "contractor_account" TEXT,
    "total_investment" INTEGER,
    "planned_fund" INTEGER,
    "start_date" TEXT,
    "planned_end" TEXT,
    "allocated" INTEGER,
    "paid" INTEGER,
    "progress" INTEGER,
    "allocation_rate" INTEGER,
    "spending_rate" INTEGER,
    "ahead_of_progress" BOOLEAN,
    "remark" TEXT
);
CREATE INDEX "ix_disaster_project_state" ON "disaster_project" ("state");
CREATE UNIQUE INDEX "ux_disaster_project_code" ON "disaster_project" ("code");
CREATE INDEX "ix_disaster_project_division_id" ON "disaster_project" ("division", "id");
CREATE INDEX "ix_disaster_project_created_by_id" ON "disaster_project" ("created_by", "id");
CREATE INDEX "ix_disaster_project_disaster" ON "disaster_project" ("disaster");
CREATE INDEX "ix_disaster_project_category" ON "disaster_project" ("category");

-- create table disaster_allocation for entity disaster.allocation
CREATE TABLE "disaster_allocation" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "fund" INTEGER,
    "project" INTEGER,
    "doc_no" TEXT,
    "amount" INTEGER,
    "allocated_on" TEXT,
    "paid" INTEGER
);
CREATE INDEX "ix_disaster_allocation_state" ON "disaster_allocation" ("state");
CREATE INDEX "ix_disaster_allocation_division_id" ON "disaster_allocation" ("division", "id");
CREATE INDEX "ix_disaster_allocation_created_by_id" ON "disaster_allocation" ("created_by", "id");
CREATE INDEX "ix_disaster_allocation_year" ON "disaster_allocation" ("year");
CREATE INDEX "ix_disaster_allocation_fund" ON "disaster_allocation" ("fund");
CREATE INDEX "ix_disaster_allocation_project" ON "disaster_allocation" ("project");

-- create table disaster_progress for entity disaster.progress
CREATE TABLE "disaster_progress" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "project" INTEGER,
    "division" TEXT,
    "report_date" TEXT,
    "percent" INTEGER,
    "description" TEXT,
    "photo" INTEGER
);
CREATE INDEX "ix_disaster_progress_state" ON "disaster_progress" ("state");
CREATE INDEX "ix_disaster_progress_division_id" ON "disaster_progress" ("division", "id");
CREATE INDEX "ix_disaster_progress_created_by_id" ON "disaster_progress" ("created_by", "id");
CREATE INDEX "ix_disaster_progress_project" ON "disaster_progress" ("project");
CREATE INDEX "ix_disaster_progress_report_date" ON "disaster_progress" ("report_date");

-- create table disaster_payment for entity disaster.payment
CREATE TABLE "disaster_payment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "pay_no" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "allocation" INTEGER,
    "fund" INTEGER,
    "project" INTEGER,
    "payee_type" TEXT,
    "payee_name" TEXT,
    "payee_account" TEXT,
    "payee_bank" TEXT,
    "settlement" TEXT,
    "amount" INTEGER,
    "purpose" TEXT,
    "paid_on" TEXT,
    "beneficiary_total" INTEGER,
    "beneficiary_count" INTEGER
);
CREATE INDEX "ix_disaster_payment_state" ON "disaster_payment" ("state");
CREATE UNIQUE INDEX "ux_disaster_payment_pay_no" ON "disaster_payment" ("pay_no");
CREATE INDEX "ix_disaster_payment_division_id" ON "disaster_payment" ("division", "id");
CREATE INDEX "ix_disaster_payment_created_by_id" ON "disaster_payment" ("created_by", "id");
CREATE INDEX "ix_disaster_payment_year" ON "disaster_payment" ("year");
CREATE INDEX "ix_disaster_payment_allocation" ON "disaster_payment" ("allocation");
CREATE INDEX "ix_disaster_payment_fund" ON "disaster_payment" ("fund");
CREATE INDEX "ix_disaster_payment_project" ON "disaster_payment" ("project");
CREATE INDEX "ix_disaster_payment_payee_type" ON "disaster_payment" ("payee_type");
CREATE INDEX "ix_disaster_payment_settlement" ON "disaster_payment" ("settlement");

-- create table disaster_beneficiary for entity disaster.beneficiary
CREATE TABLE "disaster_beneficiary" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "payment" INTEGER,
    "division" TEXT,
    "name" TEXT,
    "id_no" TEXT,
    "village" TEXT,
    "month" TEXT,
    "card_no" TEXT,
    "amount" INTEGER
);
CREATE UNIQUE INDEX "ux_disaster_beneficiary_payment_id_no" ON "disaster_beneficiary" ("payment", "id_no");
CREATE INDEX "ix_disaster_beneficiary_division_id" ON "disaster_beneficiary" ("division", "id");
CREATE INDEX "ix_disaster_beneficiary_created_by_id" ON "disaster_beneficiary" ("created_by", "id");
CREATE INDEX "ix_disaster_beneficiary_payment" ON "disaster_beneficiary" ("payment");
CREATE INDEX "ix_disaster_beneficiary_village" ON "disaster_beneficiary" ("village");
CREATE INDEX "ix_disaster_beneficiary_month" ON "disaster_beneficiary" ("month");

-- create table disaster_warning for entity disaster.warning
CREATE TABLE "disaster_warning" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "division" TEXT,
    "rule" TEXT,
    "level" TEXT,
    "payment" INTEGER,
    "allocation" INTEGER,
    "project" INTEGER,
    "message" TEXT,
    "explanation" TEXT,
    "attachment" INTEGER,
    "outcome" TEXT
);
CREATE INDEX "ix_disaster_warning_state" ON "disaster_warning" ("state");
CREATE INDEX "ix_disaster_warning_division_id" ON "disaster_warning" ("division", "id");
CREATE INDEX "ix_disaster_warning_created_by_id" ON "disaster_warning" ("created_by", "id");
CREATE INDEX "ix_disaster_warning_rule" ON "disaster_warning" ("rule");
CREATE INDEX "ix_disaster_warning_level" ON "disaster_warning" ("level");
CREATE INDEX "ix_disaster_warning_payment" ON "disaster_warning" ("payment");
CREATE INDEX "ix_disaster_warning_allocation" ON "disaster_warning" ("allocation");
CREATE INDEX "ix_disaster_warning_project" ON "disaster_warning" ("project");

-- create table indicator_indicator for entity indicator.indicator
CREATE TABLE "indicator_indicator" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "doc_no" TEXT,
    "upper_doc_no" TEXT,
    "budget_level" TEXT,
    "agency" TEXT,
    "project" INTEGER,
    "func_class" TEXT,
    "gov_econ" TEXT,
    "dept_econ" TEXT,
    "fund_nature" TEXT,
    "fund_source" TEXT,
    "amount" INTEGER,
    "plan_control" BOOLEAN,
    "direct_fund" BOOLEAN,
    "budget_line" INTEGER,
    "source_indicator" INTEGER,
    "remark" TEXT
);
CREATE INDEX "ix_indicator_indicator_state" ON "indicator_indicator" ("state");
CREATE INDEX "ix_indicator_indicator_agency_id" ON "indicator_indicator" ("agency", "id");
CREATE INDEX "ix_indicator_indicator_agency_p3_id" ON "indicator_indicator" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_indicator_indicator_agency_p6_id" ON "indicator_indicator" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_indicator_indicator_created_by_id" ON "indicator_indicator" ("created_by", "id");
CREATE INDEX "ix_indicator_indicator_year" ON "indicator_indicator" ("year");
CREATE INDEX "ix_indicator_indicator_division" ON "indicator_indicator" ("division");
CREATE INDEX "ix_indicator_indicator_project" ON "indicator_indicator" ("project");
CREATE INDEX "ix_indicator_indicator_func_class" ON "indicator_indicator" ("func_class");
CREATE INDEX "ix_indicator_indicator_gov_econ" ON "indicator_indicator" ("gov_econ");
CREATE INDEX "ix_indicator_indicator_fund_nature" ON "indicator_indicator" ("fund_nature");
CREATE INDEX "ix_indicator_indicator_fund_source" ON "indicator_indicator" ("fund_source");
CREATE INDEX "ix_indicator_indicator_direct_fund" ON "indicator_indicator" ("direct_fund");
CREATE INDEX "ix_indicator_indicator_budget_line" ON "indicator_indicator" ("budget_line");
CREATE INDEX "ix_indicator_indicator_source_indicator" ON "indicator_indicator" ("source_indicator");

-- create table indicator_adjustment for entity indicator.adjustment
CREATE TABLE "indicator_adjustment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "year" INTEGER,
    "agency" TEXT,
    "kind" TEXT,
    "indicator" INTEGER,
    "target_indicator" INTEGER,
    "amount" INTEGER,
    "doc_no" TEXT,
    "reason" TEXT
);
CREATE INDEX "ix_indicator_adjustment_state" ON "indicator_adjustment" ("state");
CREATE INDEX "ix_indicator_adjustment_agency_id" ON "indicator_adjustment" ("agency", "id");
CREATE INDEX "ix_indicator_adjustment_agency_p3_id" ON "indicator_adjustment" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_indicator_adjustment_agency_p6_id" ON "indicator_adjustment" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_indicator_adjustment_created_by_id" ON "indicator_adjustment" ("created_by", "id");
CREATE INDEX "ix_indicator_adjustment_year" ON "indicator_adjustment" ("year");
CREATE INDEX "ix_indicator_adjustment_kind" ON "indicator_adjustment" ("kind");
CREATE INDEX "ix_indicator_adjustment_indicator" ON "indicator_adjustment" ("indicator");
CREATE INDEX "ix_indicator_adjustment_target_indicator" ON "indicator_adjustment" ("target_indicator");

-- create table payment_plan for entity payment.plan
CREATE TABLE "payment_plan" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "indicator" INTEGER,
    "year" INTEGER,
    "month" INTEGER,
    "division" TEXT,
    "agency" TEXT,
    "project" INTEGER,
    "func_class" TEXT,
    "gov_econ" TEXT,
    "dept_econ" TEXT,
    "fund_nature" TEXT,
    "requested_amount" INTEGER,
    "approved_amount" INTEGER,
    "plan_amount" INTEGER,
    "remark" TEXT
);
CREATE INDEX "ix_payment_plan_state" ON "payment_plan" ("state");
CREATE INDEX "ix_payment_plan_agency_id" ON "payment_plan" ("agency", "id");
CREATE INDEX "ix_payment_plan_agency_p3_id" ON "payment_plan" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payment_plan_agency_p6_id" ON "payment_plan" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payment_plan_created_by_id" ON "payment_plan" ("created_by", "id");
CREATE INDEX "ix_payment_plan_indicator" ON "payment_plan" ("indicator");
CREATE INDEX "ix_payment_plan_year" ON "payment_plan" ("year");
CREATE INDEX "ix_payment_plan_month" ON "payment_plan" ("month");
CREATE INDEX "ix_payment_plan_project" ON "payment_plan" ("project");
CREATE INDEX "ix_payment_plan_func_class" ON "payment_plan" ("func_class");

-- create table payment_payment for entity payment.payment
CREATE TABLE "payment_payment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "pay_no" TEXT,
    "year" INTEGER,
    "division" TEXT,
    "indicator" INTEGER,
    "plan" INTEGER,
    "agency" TEXT,
    "project" INTEGER,
    "func_class" TEXT,
    "gov_econ" TEXT,
    "dept_econ" TEXT,
    "fund_nature" TEXT,
    "payer_name" TEXT,
    "payer_account" TEXT,
    "payer_bank" TEXT,
    "payee_name" TEXT,
    "payee_account" TEXT,
    "payee_bank" TEXT,
    "settlement_method" TEXT,
    "payment_method" TEXT,
    "purpose" TEXT,
    "contract_no" TEXT,
    "bond_code" TEXT,
    "amount" INTEGER,
    "paid_on" TEXT,
    "bank_serial" TEXT
);
CREATE INDEX "ix_payment_payment_state" ON "payment_payment" ("state");
CREATE UNIQUE INDEX "ux_payment_payment_year_division_pay_no" ON "payment_payment" ("year", "division", "pay_no");
CREATE INDEX "ix_payment_payment_agency_id" ON "payment_payment" ("agency", "id");
CREATE INDEX "ix_payment_payment_agency_p3_id" ON "payment_payment" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payment_payment_agency_p6_id" ON "payment_payment" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payment_payment_created_by_id" ON "payment_payment" ("created_by", "id");
CREATE INDEX "ix_payment_payment_year" ON "payment_payment" ("year");
CREATE INDEX "ix_payment_payment_division" ON "payment_payment" ("division");
CREATE INDEX "ix_payment_payment_indicator" ON "payment_payment" ("indicator");
CREATE INDEX "ix_payment_payment_plan" ON "payment_payment" ("plan");
CREATE INDEX "ix_payment_payment_project" ON "payment_payment" ("project");
CREATE INDEX "ix_payment_payment_func_class" ON "payment_payment" ("func_class");
CREATE INDEX "ix_payment_payment_payee_bank" ON "payment_payment" ("payee_bank");
CREATE INDEX "ix_payment_payment_payment_method" ON "payment_payment" ("payment_method");

-- create table payroll_person for entity payroll.person
CREATE TABLE "payroll_person" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "id_type" TEXT,
    "id_no" TEXT,
    "name" TEXT,
    "sex" TEXT,
    "birthday" TEXT,
    "agency" TEXT,
    "staff_type" TEXT,
    "position" TEXT,
    "grade" TEXT,
    "in_establishment" BOOLEAN,
    "in_payroll" BOOLEAN,
    "status" TEXT,
    "start_date" TEXT,
    "end_date" TEXT,
    "bank" TEXT,
    "card_no" TEXT,
    "post_salary" INTEGER,
    "grade_salary" INTEGER,
    "allowance" INTEGER,
    "performance" INTEGER,
    "contribution_base" INTEGER,
    "income_tax" INTEGER
);
CREATE UNIQUE INDEX "ux_payroll_person_id_no" ON "payroll_person" ("id_no");
CREATE INDEX "ix_payroll_person_agency_id" ON "payroll_person" ("agency", "id");
CREATE INDEX "ix_payroll_person_agency_p3_id" ON "payroll_person" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payroll_person_agency_p6_id" ON "payroll_person" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payroll_person_created_by_id" ON "payroll_person" ("created_by", "id");
CREATE INDEX "ix_payroll_person_staff_type" ON "payroll_person" ("staff_type");
CREATE INDEX "ix_payroll_person_in_payroll" ON "payroll_person" ("in_payroll");
CREATE INDEX "ix_payroll_person_status" ON "payroll_person" ("status");

-- create table payroll_batch for entity payroll.batch
CREATE TABLE "payroll_batch" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "batch_no" TEXT,
    "year" INTEGER,
    "month" INTEGER,
    "salary_type" TEXT,
    "division" TEXT,
    "agency" TEXT,
    "basic_indicator" INTEGER,
    "allowance_indicator" INTEGER,
    "performance_indicator" INTEGER,
    "headcount" INTEGER,
    "basic_total" INTEGER,
    "allowance_total" INTEGER,
    "performance_total" INTEGER,
    "gross_total" INTEGER,
    "deduction_total" INTEGER,
    "net_total" INTEGER,
    "basic_amount" INTEGER,
    "allowance_amount" INTEGER,
    "performance_amount" INTEGER,
    "net_amount" INTEGER,
    "bank" TEXT,
    "paid_on" TEXT,
    "remark" TEXT
);
CREATE INDEX "ix_payroll_batch_state" ON "payroll_batch" ("state");
CREATE UNIQUE INDEX "ux_payroll_batch_batch_no" ON "payroll_batch" ("batch_no");
CREATE UNIQUE INDEX "ux_payroll_batch_agency_year_month_salary_type" ON "payroll_batch" ("agency", "year", "month", "salary_type");
CREATE INDEX "ix_payroll_batch_agency_id" ON "payroll_batch" ("agency", "id");
CREATE INDEX "ix_payroll_batch_agency_p3_id" ON "payroll_batch" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payroll_batch_agency_p6_id" ON "payroll_batch" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payroll_batch_created_by_id" ON "payroll_batch" ("created_by", "id");
CREATE INDEX "ix_payroll_batch_year" ON "payroll_batch" ("year");
CREATE INDEX "ix_payroll_batch_month" ON "payroll_batch" ("month");
CREATE INDEX "ix_payroll_batch_salary_type" ON "payroll_batch" ("salary_type");
CREATE INDEX "ix_payroll_batch_division" ON "payroll_batch" ("division");
CREATE INDEX "ix_payroll_batch_basic_indicator" ON "payroll_batch" ("basic_indicator");
CREATE INDEX "ix_payroll_batch_allowance_indicator" ON "payroll_batch" ("allowance_indicator");
CREATE INDEX "ix_payroll_batch_performance_indicator" ON "payroll_batch" ("performance_indicator");

-- create table payroll_line for entity payroll.line
CREATE TABLE "payroll_line" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "batch" INTEGER,
    "person" INTEGER,
    "year" INTEGER,
    "month" INTEGER,
    "salary_type" TEXT,
    "agency" TEXT,
    "id_no" TEXT,
    "name" TEXT,
    "bank" TEXT,
    "card_no" TEXT,
    "post_salary" INTEGER,
    "grade_salary" INTEGER,
    "allowance" INTEGER,
    "performance" INTEGER,
    "contribution_base" INTEGER,
    "pension" INTEGER,
    "annuity" INTEGER,
    "medical" INTEGER,
    "housing_fund" INTEGER,
    "income_tax" INTEGER,
    "other_deduction" INTEGER,
    "basic_pay" INTEGER,
    "gross" INTEGER,
    "deductions" INTEGER,
    "net" INTEGER
);
CREATE UNIQUE INDEX "ux_payroll_line_id_no_year_month_salary_type" ON "payroll_line" ("id_no", "year", "month", "salary_type");
CREATE INDEX "ix_payroll_line_agency_id" ON "payroll_line" ("agency", "id");
CREATE INDEX "ix_payroll_line_agency_p3_id" ON "payroll_line" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payroll_line_agency_p6_id" ON "payroll_line" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payroll_line_created_by_id" ON "payroll_line" ("created_by", "id");
CREATE INDEX "ix_payroll_line_batch" ON "payroll_line" ("batch");
CREATE INDEX "ix_payroll_line_person" ON "payroll_line" ("person");
CREATE INDEX "ix_payroll_line_year" ON "payroll_line" ("year");
CREATE INDEX "ix_payroll_line_month" ON "payroll_line" ("month");
CREATE INDEX "ix_payroll_line_id_no" ON "payroll_line" ("id_no");

-- create table payroll_voucher for entity payroll.voucher
CREATE TABLE "payroll_voucher" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "batch" INTEGER,
    "year" INTEGER,
    "month" INTEGER,
    "division" TEXT,
    "agency" TEXT,
    "bank" TEXT,
    "headcount" INTEGER,
    "gross" INTEGER,
    "amount" INTEGER
);
CREATE UNIQUE INDEX "ux_payroll_voucher_batch" ON "payroll_voucher" ("batch");
CREATE INDEX "ix_payroll_voucher_agency_id" ON "payroll_voucher" ("agency", "id");
CREATE INDEX "ix_payroll_voucher_agency_p3_id" ON "payroll_voucher" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_payroll_voucher_agency_p6_id" ON "payroll_voucher" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_payroll_voucher_created_by_id" ON "payroll_voucher" ("created_by", "id");
CREATE INDEX "ix_payroll_voucher_year" ON "payroll_voucher" ("year");
CREATE INDEX "ix_payroll_voucher_month" ON "payroll_voucher" ("month");

-- create table project_project for entity project.project
CREATE TABLE "project_project" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "code" TEXT,
    "name" TEXT,
    "agency" TEXT,
    "category" TEXT,
    "func_class" TEXT,
    "start_year" INTEGER,
    "end_year" INTEGER,
    "total_amount" INTEGER,
    "purpose" TEXT,
    "last_score" INTEGER,
    "last_opinion" TEXT,
    "budget_year" INTEGER,
    "planned_total" INTEGER,
    "year_count" INTEGER,
    "review_count" INTEGER,
    "score_total" INTEGER,
    "avg_score" INTEGER
);
CREATE INDEX "ix_project_project_state" ON "project_project" ("state");
CREATE UNIQUE INDEX "ux_project_project_code" ON "project_project" ("code");
CREATE INDEX "ix_project_project_agency_id" ON "project_project" ("agency", "id");
CREATE INDEX "ix_project_project_agency_p3_id" ON "project_project" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_project_project_agency_p6_id" ON "project_project" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_project_project_created_by_id" ON "project_project" ("created_by", "id");
CREATE INDEX "ix_project_project_category" ON "project_project" ("category");
CREATE INDEX "ix_project_project_func_class" ON "project_project" ("func_class");
CREATE INDEX "ix_project_project_start_year" ON "project_project" ("start_year");
CREATE INDEX "ix_project_project_budget_year" ON "project_project" ("budget_year");

-- create table project_yearly for entity project.yearly
CREATE TABLE "project_yearly" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "project" INTEGER,
    "agency" TEXT,
    "year" INTEGER,
    "amount" INTEGER
);
CREATE UNIQUE INDEX "ux_project_yearly_project_year" ON "project_yearly" ("project", "year");
CREATE INDEX "ix_project_yearly_agency_id" ON "project_yearly" ("agency", "id");
CREATE INDEX "ix_project_yearly_agency_p3_id" ON "project_yearly" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_project_yearly_agency_p6_id" ON "project_yearly" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_project_yearly_created_by_id" ON "project_yearly" ("created_by", "id");
CREATE INDEX "ix_project_yearly_project" ON "project_yearly" ("project");
CREATE INDEX "ix_project_yearly_year" ON "project_yearly" ("year");

-- create table project_review for entity project.review
CREATE TABLE "project_review" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT,
    "created_at" TEXT,
    "updated_at" TEXT,
    "def_version" TEXT,
    "project" INTEGER,
    "agency" TEXT,
    "reviewer" TEXT,
    "score" INTEGER,
    "opinion" TEXT
);
CREATE UNIQUE INDEX "ux_project_review_project_reviewer" ON "project_review" ("project", "reviewer");
CREATE INDEX "ix_project_review_agency_id" ON "project_review" ("agency", "id");
CREATE INDEX "ix_project_review_agency_p3_id" ON "project_review" (substr("agency", 1, 3), "id");
CREATE INDEX "ix_project_review_agency_p6_id" ON "project_review" (substr("agency", 1, 6), "id");
CREATE INDEX "ix_project_review_created_by_id" ON "project_review" ("created_by", "id");
CREATE INDEX "ix_project_review_project" ON "project_review" ("project");
CREATE INDEX "ix_project_review_reviewer" ON "project_review" ("reviewer");

