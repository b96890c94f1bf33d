package engine

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Saved filters are a user's named list queries: the query string of a list
// page (filters, search, sort, hidden columns), kept per user and entity in
// growth_saved_filters. They hold no rights: the list checks the query again,
// with the user's access and data scope, each time it is opened, exactly as
// when the same link is shared.

// SavedFilter is one saved list query.
type SavedFilter struct {
	Name  string
	Query string
}

// Limits of saved filters, so that one user cannot fill the table.
const (
	MaxSavedFilters     = 50
	MaxSavedFilterName  = 60
	MaxSavedFilterQuery = 2000
)

// SavedFilters lists actor's saved filters of app.entity by name.
func (rt *Runtime) SavedFilters(ctx context.Context, actor Actor, app, entity string) ([]SavedFilter, error) {
	if _, err := rt.Entity(app, entity); err != nil {
		return nil, err
	}
	p := rt.DB.Placeholder
	rows, err := rt.DB.Read.QueryContext(ctx, "SELECT name, query FROM growth_saved_filters WHERE user_name = "+p(1)+" AND app = "+p(2)+" AND entity = "+p(3)+" ORDER BY name", actor.User, app, entity)
	if err != nil {
		return nil, fmt.Errorf("saved filters: %w", err)
	}
	defer rows.Close()
	var out []SavedFilter
	for rows.Next() {
		var f SavedFilter
		if err := rows.Scan(&f.Name, &f.Query); err != nil {
			return nil, fmt.Errorf("saved filters: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SaveFilter saves query as actor's filter called name on app.entity,
// replacing one of that name.
func (rt *Runtime) SaveFilter(ctx context.Context, actor Actor, app, entity, name, query string) error {
	e, err := rt.Entity(app, entity)
	if err != nil {
		return err
	}
	if !rt.Access.Can(actor, e, "read") {
		return Forbidden("您无权查看%s", entityLabel(e))
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Invalid("name", errcode.Invalid, "请为筛选起一个名称")
	case utf8.RuneCountInString(name) > MaxSavedFilterName || hasNUL(name) || !utf8.ValidString(name):
		return Invalid("name", errcode.Invalid, "名称最多 %d 个字符", MaxSavedFilterName)
	case len(query) > MaxSavedFilterQuery || hasNUL(query) || !utf8.ValidString(query):
		return Invalid("query", errcode.Invalid, "筛选条件最多 %d 个字符", MaxSavedFilterQuery)
	}
	if _, err := url.ParseQuery(query); err != nil {
		return Invalid("query", errcode.Invalid, "筛选条件不是有效的查询字符串")
	}
	return rt.DB.Tx(ctx, func(tx *sql.Tx) error {
		p := rt.DB.Placeholder
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM growth_saved_filters WHERE user_name = "+p(1)+" AND name <> "+p(2), actor.User, name).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSavedFilters {
			return Invalid("name", errcode.Invalid, "每人最多保存 %d 个筛选，请先删除不用的", MaxSavedFilters)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM growth_saved_filters WHERE user_name = "+p(1)+" AND app = "+p(2)+" AND entity = "+p(3)+" AND name = "+p(4), actor.User, app, entity, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO growth_saved_filters (user_name, app, entity, name, query) VALUES ("+p(1)+", "+p(2)+", "+p(3)+", "+p(4)+", "+p(5)+")", actor.User, app, entity, name, query)
		return err
	})
}

// DeleteSavedFilter removes actor's filter called name on app.entity.
func (rt *Runtime) DeleteSavedFilter(ctx context.Context, actor Actor, app, entity, name string) error {
	p := rt.DB.Placeholder
	_, err := rt.DB.Write.ExecContext(ctx, "DELETE FROM growth_saved_filters WHERE user_name = "+p(1)+" AND app = "+p(2)+" AND entity = "+p(3)+" AND name = "+p(4), actor.User, app, entity, name)
	return err
}
