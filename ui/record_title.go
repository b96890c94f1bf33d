package ui

import (
	"context"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// A record is named by its entity's title_fields (文号, name) wherever the
// UI would otherwise write its number: the record page's heading and
// breadcrumb, links to it from other records and the ledger, and pickers.
// Fields the reader may not see, and empty ones, are left out; with none
// left the record is "#44".

// recordName is rec's title as r's actor may see it.
func (u *UI) recordName(r *request, e *metamodel.Entity, rec *engine.Record) string {
	var parts []string
	for _, name := range e.TitleFields {
		f := e.Field(name)
		if f == nil || u.rt.Access.Hidden(r.actor, e, name) || rec.Values[name] == nil {
			continue
		}
		if s := display(r.lang, f, rec.Values[name], u.opts.Location); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "#" + strconv.FormatInt(rec.ID, 10)
	}
	return strings.Join(parts, " ")
}

// nameByID names the record id of e as r's actor sees it ("#id" when it
// may not be read), remembering names in seen for a page with many links.
func (u *UI) nameByID(ctx context.Context, r *request, e *metamodel.Entity, id int64, seen map[string]string) string {
	key := e.QualifiedName() + "#" + strconv.FormatInt(id, 10)
	if s, ok := seen[key]; ok {
		return s
	}
	name := "#" + strconv.FormatInt(id, 10)
	if len(e.TitleFields) > 0 {
		if rec, err := u.rt.Get(ctx, r.actor, e.App.Name, e.Name, id); err == nil {
			name = u.recordName(r, e, rec)
		}
	}
	if seen != nil {
		seen[key] = name
	}
	return name
}
