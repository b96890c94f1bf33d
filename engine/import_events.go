package engine

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// An import file may carry a column named _events: the workflow events each
// imported record has already been through elsewhere — the approved budget
// (人大批复数) comes from the budget-preparation system approved, so it is
// imported released: "submit review check release". The events are fired in
// order, in the import's transaction, by the platform itself, with their
// effects (a released indicator opens its balance) and history rows that say
// so. Only the platform may do this (growth seed, growth import run by an
// operator): a user's upload with _events is refused, since it would skip
// the approvals the definitions require.

// ImportEventsColumn is the header of the column of events already passed.
const ImportEventsColumn = "_events"

// importEventComment is the history comment of an event fired by an import.
const importEventComment = "导入：已在来源系统中完成"

// importEventsColumn finds the _events column, -1 when there is none, and
// refuses it for anyone but the platform or for an entity without workflow.
// It blanks the header cell so that the column is not taken for a field.
func importEventsColumn(e *metamodel.Entity, actor Actor, header []string) (int, error) {
	col := slices.IndexFunc(header, func(h string) bool { return strings.TrimSpace(h) == ImportEventsColumn })
	if col < 0 {
		return -1, nil
	}
	switch {
	case !slices.Contains(actor.Roles, SystemActor.Roles[0]):
		return -1, tableErrorf(1, "第 %d 列 %s（导入时直接执行流程事件）只能由平台导入（growth seed 或 growth import）使用，上传文件不能跳过审批", col+1, ImportEventsColumn)
	case e.Workflow == nil:
		return -1, tableErrorf(1, "第 %d 列 %s：%s 没有审批流程", col+1, ImportEventsColumn, entityLabel(e))
	}
	header[col] = ""
	return col, nil
}

// fireImported fires the events of cell on a just-imported record.
func (rt *Runtime) fireImported(ctx context.Context, tx *sql.Tx, s *entityStore, imported *Record, cell string) error {
	m := rt.workflows[s.entity.QualifiedName()]
	// A copy: the import may write its rows a second time (row by row, to
	// list every refusal), and must start again from the imported record.
	cur := *imported
	rec := &cur
	f := &firing{FireRequest: FireRequest{Actor: SystemActor, App: s.entity.App.Name, Entity: s.entity.Name, ID: rec.ID, Comment: importEventComment}, store: s, machine: m}
	for _, event := range strings.FieldsFunc(cell, func(r rune) bool { return r == ' ' || r == ',' || r == '，' || r == ';' }) {
		t := m.transition(rec.State, event)
		if t == nil {
			return Invalid(ImportEventsColumn, errcode.State, "“%s”状态下不能执行事件 %s", stateLabel(m.w, rec.State), event)
		}
		if msg := m.guardFailure(s.entity, t, rec, SystemActor); msg.Zh != "" {
			return Invalid(ImportEventsColumn, errcode.Guard, "事件 %s：%s", event, msg)
		}
		f.Event = event
		next, err := rt.applyTransition(ctx, tx, f, t, rec, rt.now().UTC().Truncate(time.Microsecond), nil)
		if err != nil {
			return err
		}
		rec = next
	}
	return nil
}
