package metamodel

import (
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"
)

// Project is every app loaded from one definitions folder: the unit that is
// checked, versioned and served together.
type Project struct {
	Dir  string
	Apps []*App
	// Hash identifies this exact set of definition files (sha256 over names and
	// contents); records and history rows point at it.
	Hash string
	// Files holds the text of every definition file by path relative to Dir, so
	// a definition version can be stored and diffed later.
	Files map[string][]byte
	// Warnings are what an implementer should look at in definitions that
	// loaded without problems (a visible computed field reading hidden ones),
	// sorted by position; growth check prints them and still succeeds.
	Warnings []Problem

	apps     map[string]*App
	codeSets map[string]*CodeSet

	functionsOnce sync.Once
	functions     map[string]any
}

// App returns the app called name, or nil.
func (p *Project) App(name string) *App { return p.apps[name] }

// CodeSet returns the code set called name from any app, or nil. Code set names
// are one namespace across the project: the basic-data standard is shared.
func (p *Project) CodeSet(name string) *CodeSet { return p.codeSets[name] }

// CodeSets lists every code set in load order.
func (p *Project) CodeSets() []*CodeSet {
	var out []*CodeSet
	for _, a := range p.Apps {
		out = append(out, a.CodeSets...)
	}
	return out
}

// Entity resolves "app.entity" or, relative to from, "entity".
func (p *Project) Entity(from *App, name string) *Entity {
	appName, entName := splitQualified(name)
	if appName == "" {
		if from == nil {
			return nil
		}
		return from.Entity(entName)
	}
	if a := p.apps[appName]; a != nil {
		return a.Entity(entName)
	}
	return nil
}

// App is one business system: a folder of definition files.
type App struct {
	Name        string
	Pos         Pos
	Title       string
	TitleEn     string
	Description string
	Entities    []*Entity
	CodeSets    []*CodeSet
	Workflows   []*Workflow
	Forms       []*Form
	Roles       []*Role
	Reports     []*Report
	Exports     []*Export
	Schedules   []*Schedule
	Exchanges   []*Exchange
	Postings    []*Posting
	Tags        []*Tag
	// Files are the definition files of the app, relative to the project folder.
	Files []string

	entities map[string]*Entity
	project  *Project
	names    map[string]Pos // "workflow payment" → where it was first defined
}

// Entity returns the entity called name in this app, or nil.
func (a *App) Entity(name string) *Entity { return a.entities[name] }

// Project is the project the app was loaded in.
func (a *App) Project() *Project { return a.project }

// Role returns the role called name in this app, or nil.
func (a *App) Role(name string) *Role {
	for _, r := range a.Roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Workflow returns the workflow called name in this app, or nil.
func (a *App) Workflow(name string) *Workflow {
	for _, w := range a.Workflows {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// file is what one YAML file may hold; files of one folder merge into an App.
type file struct {
	Pos         Pos
	At          map[string]Pos
	App         string      `yaml:"app" desc:"The app's name; must equal its folder's name."`
	Title       string      `yaml:"title" desc:"The app's title (zh-CN)."`
	TitleEn     string      `yaml:"title_en" desc:"The app's title in English."`
	Description string      `yaml:"description" desc:"What the app is for."`
	Entities    []*Entity   `yaml:"entities,named" desc:"Record types, each with a table and a REST API."`
	CodeSets    []*CodeSet  `yaml:"codesets,named" desc:"Code sets (trees of codes) of the basic-data standard."`
	Workflows   []*Workflow `yaml:"workflows,named" desc:"Approval flows bound to entities."`
	Forms       []*Form     `yaml:"forms,named" desc:"Form layouts, keyed by entity name."`
	Roles       []*Role     `yaml:"roles,named" desc:"Roles: what they may do on which entities, and on which records."`
	Reports     []*Report   `yaml:"reports,named" desc:"Grouped totals over an entity."`
	Exports     []*Export   `yaml:"exports,named" desc:"Files generated from a record and its lines, such as bank files: CSV or fixed width, UTF-8 or GBK."`
	Schedules   []*Schedule `yaml:"schedules,named" desc:"Rules run on an interval that create records (warnings) for the records they match."`
	Exchanges   []*Exchange `yaml:"exchanges,named" desc:"Counterparties (a bank, the treasury, another fiscal level) and the signed messages exchanged with each over the broker: docs/exchange.md."`
	Postings    []*Posting  `yaml:"postings" desc:"Accounting vouchers posted at workflow events: debit and credit lines of a chart of accounts, with amounts and dimensions from the record."`
	Tags        []*Tag      `yaml:"tags,named" desc:"Data tags: named criteria (民生支出 = functional class under 205, 208 …) declared once and used in reports and filters as tag('民生支出')."`
}

// Entity is a record type: one table, one REST resource, one form.
type Entity struct {
	Name        string
	NamePos     Pos
	Pos         Pos
	At          map[string]Pos
	Title       string     `yaml:"title" desc:"Label (zh-CN)."`
	TitleEn     string     `yaml:"title_en" desc:"Label in English."`
	Description string     `yaml:"description" desc:"What a record of this entity is."`
	OrgField    string     `yaml:"org_field" desc:"The code field holding the org a record belongs to (data scope)."`
	YearField   string     `yaml:"year_field" desc:"The int field holding the fiscal year; code fields accept only codes valid in it."`
	Fields      []*Field   `yaml:"fields,named" desc:"Fields in display order."`
	Unique      [][]string `yaml:"unique" desc:"Groups of fields whose values together are unique."`
	Rules       []*Rule    `yaml:"rules" desc:"Record rules checked on every create and update."`
	Filters     []string   `yaml:"filters" desc:"Fields users filter on: indexed and offered as list filters."`
	Search      []string   `yaml:"search" desc:"Text fields (string, text, code) one search box on the list matches, as a substring."`
	Lists       *ListSpec  `yaml:"list" desc:"How the entity's list shows: its columns and their order."`
	Balance     *Balance   `yaml:"balance" desc:"Makes every record an account others may draw on: which money field funds it, and at which event it opens."`
	Draws       []*Draw    `yaml:"draws" desc:"Accounts this record draws on along its ref fields, and at which events money is reserved, consumed and given back."`
	Adjusts     *Adjust    `yaml:"adjusts" desc:"Makes every record an adjustment of an account: increase, decrease, transfer, freeze or unfreeze."`
	Blocks      []*Block   `yaml:"blocks" desc:"Events of the records this record points at that are refused while it exists (and its when holds), such as an open alert stopping the send of an order."`
	TitleFields []string   `yaml:"title_fields" desc:"The fields that name a record (文号, name) in headings, breadcrumbs, pickers and links instead of its number."`

	// Resolved by the checker.
	App      *App      `yaml:"-"`
	Workflow *Workflow `yaml:"-"`
	fields   map[string]*Field
}

// ListSpec is how an entity's list page shows.
type ListSpec struct {
	Pos     Pos
	At      map[string]Pos
	Columns []string `yaml:"columns" desc:"Fields shown as columns, in this order; the first stays in view while the list scrolls sideways. Default: every field except long texts."`
}

// Field returns the field called name, or nil.
func (e *Entity) Field(name string) *Field { return e.fields[name] }

// QualifiedName is "app.entity".
func (e *Entity) QualifiedName() string { return e.App.Name + "." + e.Name }

// Label is the entity's title, or its name when it has none.
func (e *Entity) Label() string {
	if e.Title != "" {
		return e.Title
	}
	return e.Name
}

// Field is one attribute of an entity; Type names its FieldType.
type Field struct {
	Name      string
	NamePos   Pos
	Pos       Pos
	At        map[string]Pos
	Type      string       `yaml:"type,shorthand" desc:"Field type: string, text, int, decimal, money, date, datetime, bool, enum, code, ref, computed, rollup, file."`
	Label     string       `yaml:"label" desc:"Label (zh-CN)."`
	LabelEn   string       `yaml:"label_en" desc:"Label in English."`
	Help      string       `yaml:"help" desc:"Help text shown under the input."`
	Required  bool         `yaml:"required" desc:"A value must be given."`
	Unique    bool         `yaml:"unique" desc:"No two records share a value."`
	Readonly  bool         `yaml:"readonly" desc:"Set only by the platform (workflow actions, defaults), never by a user."`
	Default   any          `yaml:"default" desc:"Value used when none is given."`
	MaxLength int          `yaml:"max_length" desc:"string: the most characters allowed."`
	Pattern   string       `yaml:"pattern" desc:"string: a regular expression the whole value must match."`
	Min       string       `yaml:"min" desc:"int, decimal, money: the smallest value allowed."`
	Max       string       `yaml:"max" desc:"int, decimal, money: the largest value allowed."`
	Scale     int          `yaml:"scale" desc:"decimal: digits after the decimal point."`
	Values    []*EnumValue `yaml:"values" desc:"enum: the allowed values with labels."`
	CodeSet   string       `yaml:"codeset" desc:"code: the code set values come from."`
	LeafOnly  bool         `yaml:"leaf_only" desc:"code: only leaf codes are accepted."`
	Entity    string       `yaml:"entity" desc:"ref: the entity referred to; rollup: the entity whose records are aggregated; as entity or app.entity."`
	Expr      string       `yaml:"expr" desc:"computed: an expression over the record's fields."`
	Returns   string       `yaml:"returns" desc:"computed: the result type (int, decimal, money, string, bool, date); default money."`
	FreezeOn  []string     `yaml:"freeze_on" desc:"computed: workflow events after which the value no longer changes: it is computed a last time when the first of them fires, then kept (an amount fixed at issue)."`
	MaxSize   string       `yaml:"max_size" desc:"file: the largest file accepted, in bytes (10485760) or with a unit (10MB; KB, MB, GB are powers of 1024); default 10MB."`
	Types     []string     `yaml:"types" desc:"file: the file types accepted, as extensions (pdf, jpg) or content types (application/pdf, image/*); default any."`
	Of        string       `yaml:"field" desc:"rollup: the field of the records aggregated (not for count)."`
	Via       string       `yaml:"via" desc:"rollup: the ref field of the records aggregated that points at this record."`
	Agg       string       `yaml:"agg" desc:"rollup: sum, count, min or max."`
	Where     string       `yaml:"where" desc:"rollup: which records count, in the filter language (docs/filter.md), e.g. state = 'paid'."`

	// Resolved by the checker.
	Kind    FieldType   `yaml:"-"`
	Owner   *Entity     `yaml:"-"`
	Set     *CodeSet    `yaml:"-"`
	Target  *Entity     `yaml:"-"`
	Program *vm.Program `yaml:"-"`
	// Settings parsed by the field type (limits, compiled pattern, result type).
	Settings any `yaml:"-"`
}

// where names the field in problems: entity.field once the checker has set
// its owner.
func (f *Field) where() string {
	if f.Owner != nil {
		return f.Owner.Name + "." + f.Name
	}
	return f.Name
}

// DisplayLabel is the field's label, or its name when it has none.
func (f *Field) DisplayLabel() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Name
}

// EnumValue is one allowed value of an enum field.
type EnumValue struct {
	Pos     Pos
	Value   string `yaml:"value,shorthand" desc:"The stored value."`
	Label   string `yaml:"label" desc:"Label (zh-CN)."`
	LabelEn string `yaml:"label_en" desc:"Label in English."`
}

// Rule is a record-level assertion: when Assert is false, Message is shown
// against Fields.
type Rule struct {
	Pos       Pos
	At        map[string]Pos
	Name      string   `yaml:"name" desc:"A name for the rule, used in error codes."`
	When      string   `yaml:"when" desc:"Only check the rule when this expression is true."`
	Assert    string   `yaml:"assert" desc:"An expression that must be true for the record to be saved."`
	Message   string   `yaml:"message" desc:"What the user is told (zh-CN) when the assertion fails."`
	MessageEn string   `yaml:"message_en" desc:"The message in English."`
	Fields    []string `yaml:"fields" desc:"The fields the message is shown against."`

	WhenProgram   *vm.Program `yaml:"-"`
	AssertProgram *vm.Program `yaml:"-"`
}

// Workflow is an approval flow on one entity.
type Workflow struct {
	Name        string
	NamePos     Pos
	Pos         Pos
	At          map[string]Pos
	Title       string            `yaml:"title" desc:"Label (zh-CN)."`
	Entity      string            `yaml:"entity" desc:"The entity whose records move through this workflow."`
	Initial     string            `yaml:"initial" desc:"The state a new record starts in."`
	States      []string          `yaml:"states" desc:"Every state, in display order."`
	Final       []string          `yaml:"final" desc:"States that end the flow; they need no way out."`
	Editable    []string          `yaml:"editable" desc:"States in which the record may be edited; default: the initial state."`
	Labels      map[string]string `yaml:"labels" desc:"State labels (zh-CN), by state."`
	Transitions []*Transition     `yaml:"transitions" desc:"The events that move a record from state to state."`

	Target *Entity `yaml:"-"`
}

// Transition is one event of a workflow.
type Transition struct {
	Pos          Pos
	At           map[string]Pos
	Event        string            `yaml:"event" desc:"The event's name, used in the API path."`
	Label        string            `yaml:"label" desc:"Button label (zh-CN)."`
	From         []string          `yaml:"from" desc:"States the event may fire from."`
	To           string            `yaml:"to" desc:"The state the record moves to."`
	Roles        []string          `yaml:"roles" desc:"Roles that may fire the event."`
	Guard        string            `yaml:"guard" desc:"An expression over the record and the actor that must be true."`
	GuardMessage string            `yaml:"guard_message" desc:"What the user is told when the guard fails."`
	NotBy        []string          `yaml:"not_by" desc:"Who may not fire it: creator; editors (the creator and whoever changed its fields by an edit or by an event's input); submitter (who last sent it out of an editable state); actors (whoever fired an earlier event on it or approved towards one); previous_approver (who fired its last event)."`
	Quorum       *Quorum           `yaml:"quorum" desc:"Distinct approvals needed before the transition happens: a number, or {by: amount, approvals: 1, above: [{amount: 1000000, approvals: 2}]} to rise with the record's amount."`
	Comment      string            `yaml:"comment" desc:"required when a comment must be given."`
	Set          map[string]string `yaml:"set" desc:"Fields set on success, each from an expression."`
	Input        []string          `yaml:"input" desc:"Fields the actor fills in when firing the event (the approved amount), validated like an edit; read-only fields may be listed: the event is the one place they are written."`
	Number       *NumberAction     `yaml:"number" desc:"Stamps a number from a sequence on success: {field, format, per}."`
	Generate     []*GenerateAction `yaml:"generate" desc:"Records created on success, in the same transaction: one, one per source record (from), or count of them."`

	GuardProgram *vm.Program            `yaml:"-"`
	SetPrograms  map[string]*vm.Program `yaml:"-"`
}

// Form lays out the form of the entity it is named after.
type Form struct {
	Name     string
	NamePos  Pos
	Pos      Pos
	At       map[string]Pos
	Title    string       `yaml:"title" desc:"Form title (zh-CN)."`
	Layout   [][]string   `yaml:"layout" desc:"Rows of field names: a one-section form."`
	Sections []*Section   `yaml:"sections" desc:"Titled sections of rows of fields."`
	Fill     []*FormFill  `yaml:"fill" desc:"Fields filled from the record a ref field names when it is chosen, and that record's balance shown beside the picker."`
	Children []*FormChild `yaml:"children" desc:"Records of other entities that point at this one, listed on its page with totals of their money columns."`
	Print    *PrintLayout `yaml:"print" desc:"The record's print view: title, sections, the amount in capitals and signature boxes."`
}

// FormFill fills fields of the form from the record a ref field names.
type FormFill struct {
	Pos    Pos
	At     map[string]Pos
	Ref    string            `yaml:"ref" desc:"The ref field whose choice fills the fields."`
	Fields map[string]string `yaml:"fields" desc:"Field of this form: field of the referenced record it is filled from."`
}

// FormChild lists the records of another entity that point at the record.
type FormChild struct {
	Pos     Pos
	At      map[string]Pos
	Entity  string   `yaml:"entity" desc:"The child entity (entity or app.entity)."`
	Ref     string   `yaml:"ref" desc:"The child's ref field that points at this entity."`
	Title   string   `yaml:"title" desc:"Heading of the list (zh-CN); default the child entity's title."`
	Columns []string `yaml:"columns" desc:"The child's fields shown, in order; money columns are totalled."`

	Target *Entity `yaml:"-"`
}

// PrintLayout is a record's printed form, such as a voucher.
type PrintLayout struct {
	Pos        Pos
	At         map[string]Pos
	Title      string     `yaml:"title" desc:"Title printed at the top (zh-CN)."`
	Sections   []*Section `yaml:"sections" desc:"Titled sections of rows of fields; default the form's."`
	Amount     string     `yaml:"amount" desc:"The money field printed in Chinese capitals (大写)."`
	Signatures []string   `yaml:"signatures" desc:"Labels of the signature boxes at the foot (经办人, 复核人 …)."`
}

// Section is a titled group of rows in a form.
type Section struct {
	Pos   Pos
	At    map[string]Pos
	Title string     `yaml:"title" desc:"Section title (zh-CN)."`
	Rows  [][]string `yaml:"rows" desc:"Rows of field names."`
}

// Role is what a group of users may do, and on which records.
type Role struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Title   string       `yaml:"title" desc:"Label (zh-CN)."`
	Scope   string       `yaml:"scope" desc:"Which records: own, own_org, org_subtree or all."`
	Can     []*Grant     `yaml:"can,named" desc:"By entity: actions allowed (create, read, update, delete, export, and workflow events)."`
	Fields  []*FieldRule `yaml:"fields,named" desc:"By entity: fields hidden from or read-only for this role."`
	// Dashboard names the reports the portal shows (with their charts) to
	// users holding the role.
	Dashboard []string `yaml:"dashboard" desc:"Reports shown on the portal's dashboard to users with this role, as report (this app) or app.report."`
}

// Grant lists the actions a role may take on one entity.
type Grant struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Actions []string `yaml:"actions,shorthand" desc:"Actions allowed."`
}

// FieldRule restricts fields of one entity for a role.
type FieldRule struct {
	Name     string
	NamePos  Pos
	Pos      Pos
	At       map[string]Pos
	Hidden   []string `yaml:"hidden" desc:"Fields never sent to this role."`
	Readonly []string `yaml:"readonly" desc:"Fields this role may see but not write."`
}

// Report is a grouped summary over an entity.
type Report struct {
	Name     string
	NamePos  Pos
	Pos      Pos
	At       map[string]Pos
	Title    string            `yaml:"title" desc:"Label (zh-CN)."`
	Entity   string            `yaml:"entity" desc:"The entity summarised."`
	GroupBy  []string          `yaml:"group_by" desc:"Fields to group by."`
	Measures []*Measure        `yaml:"measures" desc:"Columns computed per group."`
	Filters  []string          `yaml:"filters" desc:"Fields the report may be filtered on."`
	Where    string            `yaml:"where" desc:"A fixed condition in the filter language (docs/filter.md) every counted record meets, e.g. state = 'released'."`
	Public   bool              `yaml:"public" desc:"Served without login at GET /api/public/reports/{app}/{report}: its groups and measures only, to anyone (public disclosure)."`
	Mask     map[string]string `yaml:"mask" desc:"Public reports: group_by fields shown masked, by kind — name (张*明), id (5133**********1023), account or phone (last 4 digits): personal data disclosed without identifying anyone."`
	Chart    *Chart            `yaml:"chart" desc:"A chart drawn above the table: bar, line or pie of one or more measures over the groups."`
	Tags     []string          `yaml:"tags" desc:"Data tags (tags:) the reader may narrow the report to, in its filter as tag('name') or #name and as a picker on its page."`
	Levels   map[string]int    `yaml:"levels" desc:"Code fields of group_by grouped by the first N levels of their code set (func_class: 3 groups by 类/款/项), with a subtotal row at each level and for each group before it."`
}

// Measure is one column of a report.
type Measure struct {
	Pos     Pos
	At      map[string]Pos
	Name    string `yaml:"name" desc:"Column name."`
	Label   string `yaml:"label" desc:"Column label (zh-CN)."`
	Agg     string `yaml:"agg" desc:"sum, count, min, max (over field); or leave it out and give balance or expr."`
	Field   string `yaml:"field" desc:"The field aggregated."`
	Balance string `yaml:"balance" desc:"Sum of the records' ledger balances: approved, reserved, consumed, frozen or available (the entity must declare a balance)."`
	Expr    string `yaml:"expr" desc:"A value computed from the group's other measures by name, with exact decimals, e.g. consumed / approved * 100; empty when it divides by zero."`
	Scale   int    `yaml:"scale" desc:"expr: digits after the point (default 2)."`
	// Movement sums ledger movements of one kind on the records' accounts.
	Movement string `yaml:"movement" desc:"Sum of the ledger movements of one kind on the records' accounts (the entity must declare a balance)."`
	Source   string `yaml:"source" desc:"movement: only the movements caused by records of this entity (entity or app.entity), e.g. payment.plan for what plans consumed."`

	// Program is the compiled expr, set by the checker.
	Program *vm.Program `yaml:"-"`
}

// splitQualified splits "app.entity" into its parts; a plain name has no app.
func splitQualified(name string) (app, entity string) {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// Tag is a data tag (数据标签): a criterion in the filter language, named once
// and used by name in reports' where and filters, lists' filters and the UI's
// tag picker. Tag names are unique across the project.
type Tag struct {
	Name        string
	NamePos     Pos
	Pos         Pos
	At          map[string]Pos
	Title       string `yaml:"title" desc:"Label (zh-CN); default the name."`
	Description string `yaml:"description" desc:"What the tag selects and why, for the business side."`
	Entity      string `yaml:"entity" desc:"The entity whose fields the criterion names (entity or app.entity): the tag is checked against it and offered on its list page. Required."`
	Where       string `yaml:"where" desc:"The criterion in the filter language (docs/filter.md); it may name other tags. Required."`

	// Target is the entity, set by the checker.
	Target *Entity `yaml:"-"`
}

// Label is the tag's title, or its name.
func (t *Tag) Label() string {
	if t.Title != "" {
		return t.Title
	}
	return t.Name
}

// Tag returns the data tag called name, of any app, or nil.
func (p *Project) Tag(name string) *Tag {
	for _, a := range p.Apps {
		for _, t := range a.Tags {
			if t.Name == name {
				return t
			}
		}
	}
	return nil
}

// Chart is how a report page draws its figures.
type Chart struct {
	Pos      Pos
	At       map[string]Pos
	Type     string   `yaml:"type,shorthand" desc:"bar, line or pie."`
	Measures []string `yaml:"measures" desc:"The measures drawn (default the first one); a pie takes one."`
	Title    string   `yaml:"title" desc:"Caption (zh-CN); default the report's title."`
}

// ChartTypes are the kinds of chart a report may draw.
var ChartTypes = []string{"bar", "line", "pie"}

// ReportByName finds a report named "report" in app a or "app.report".
func (p *Project) ReportByName(a *App, name string) (*App, *Report) {
	app := a
	if i := strings.IndexByte(name, '.'); i >= 0 {
		app, name = p.App(name[:i]), name[i+1:]
	}
	if app == nil {
		return nil, nil
	}
	for _, r := range app.Reports {
		if r.Name == name {
			return app, r
		}
	}
	return app, nil
}

// NameFields are the fields that name e's records where another record
// refers to them (a report grouped by a ref field): its title_fields, else
// its first string field; none when it has neither.
func (e *Entity) NameFields() []*Field {
	var out []*Field
	for _, name := range e.TitleFields {
		if f := e.Field(name); f != nil {
			out = append(out, f)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, f := range e.Fields {
		if IsShortText(f) {
			return []*Field{f}
		}
	}
	return nil
}
