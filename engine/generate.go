package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// Generated records (metamodel/workflow_generate.go) are created when their
// transition fires, after the firing record is written, in the transition's
// transaction and in the firing actor's name. Each goes through the normal
// create path (createInTx): defaults, computed fields, validation and rules,
// references, the audit row (noting _generated_by) and the effects (ledger,
// rollups, history). The actor's create permission and data scope are not
// asked: the records are the consequence of an event the actor may fire.
// Their rollups run once at the end, and the firing record is read again,
// since those rollups may have changed it. Any failure rolls the whole
// transition back with a message naming the generated record; more than
// metamodel.MaxGenerated records refuse the transition before any is made.

// generate creates the records t generates for rec, the firing record after
// the transition, and returns rec as it stands afterwards.
func (rt *Runtime) generate(ctx context.Context, tx *sql.Tx, actor Actor, s *entityStore, t *metamodel.Transition, rec *Record) (*Record, error) {
	if len(t.Generate) == 0 {
		return rec, nil
	}
	e := s.entity
	rollups := &rollupBatch{}
	opt := createOptions{system: true, origin: fmt.Sprintf("%s #%d %s", e.QualifiedName(), rec.ID, t.Event), rollups: rollups}
	total := 0
	for _, g := range t.Generate {
		dst := rt.stores[g.Target.QualifiedName()]
		var unless filter.Node
		if g.Unless != "" {
			var err error
			if unless, err = filter.Parse(g.Unless); err != nil {
				return nil, generateRefusal(errcode.Generate, "生成 %s 失败：unless（%s）：%v", g.Label(), g.Unless, err)
			}
		}
		base := guardEnv(e, rec, actor)
		base["parent"] = g.ParentShape.Value(rec.ID, rec.State, rec.CreatedBy, rec.CreatedAt, rec.UpdatedAt, rec.Values)
		var sources []*Record
		n := 1
		switch {
		case g.From != nil:
			var err error
			if sources, err = rt.generateSources(ctx, tx, g, e, rec); err != nil {
				return nil, err
			}
			n = len(sources)
		case g.CountProgram != nil:
			out, err := metamodel.Run(g.CountProgram, base)
			if err != nil {
				return nil, generateRefusal(errcode.Generate, "生成 %s 失败：条数（%s）无法计算：%v", g.Label(), g.Count, err)
			}
			count, ok := asInt64(out)
			if !ok || count < 0 {
				return nil, generateRefusal(errcode.Generate, "生成 %s 失败：条数（%s）应为不小于零的整数，得到 %v", g.Label(), g.Count, out)
			}
			if count > metamodel.MaxGenerated {
				return nil, generateRefusal(errcode.GenerateLimit, "生成 %s 失败：%d 条超过一次最多生成 %d 条的上限", g.Label(), count, metamodel.MaxGenerated)
			}
			n = int(count)
		}
		if total+n > metamodel.MaxGenerated {
			return nil, generateRefusal(errcode.GenerateLimit, "生成 %s 失败：本次共需生成超过 %d 条记录，超过一次最多生成 %d 条的上限", g.Label(), metamodel.MaxGenerated, metamodel.MaxGenerated)
		}
		for i := 1; i <= n; i++ {
			env := make(map[string]any, len(base)+3)
			for k, v := range base {
				env[k] = v
			}
			what := errcode.Text{Zh: g.Label()}
			switch {
			case g.From != nil:
				src := sources[i-1]
				env["src"] = g.SourceShape.Value(src.ID, src.State, src.CreatedBy, src.CreatedAt, src.UpdatedAt, src.Values)
				what = errcode.Generate.Format("%s（来源 %s #%d）", g.Label(), entityLabel(g.Source), src.ID)
			case g.CountProgram != nil:
				env["i"], env["n"] = i, n
				what = errcode.Generate.Format("%s（第 %d 条，共 %d 条）", g.Label(), i, n)
			}
			if g.WhenProgram != nil {
				ok, err := metamodel.RunBool(g.WhenProgram, env)
				if err != nil {
					return nil, generateRefusal(errcode.Generate, "生成 %s 失败：条件（%s）无法计算：%v", what, g.When, err)
				}
				if !ok {
					continue
				}
			}
			values, err := generatedValues(g, env)
			if err == nil && unless != nil {
				// Not again: a matching record (raised by an earlier run of the
				// same event) stands for this one.
				var cond string
				var args []any
				if cond, args, err = rt.bindUnless(dst, unless, values); err == nil {
					var found bool
					if found, err = rt.exists(ctx, tx, dst, cond, args, 0); err == nil && found {
						continue
					}
				}
			}
			if err == nil {
				_, err = rt.createInTx(ctx, tx, actor, dst, values, opt)
			}
			if err != nil {
				return nil, generateFailure(what, dst.entity, err)
			}
			total++
		}
	}
	if err := rollups.run(ctx, tx, rt, actor, 0); err != nil {
		return nil, err
	}
	if total == 0 {
		return rec, nil
	}
	return rt.getForUpdate(ctx, tx, s, rec.ID)
}

// generateSources reads the source records of g for the firing record rec:
// its from filter with $names bound to rec's fields, at most one more than
// the limit (to refuse, not truncate). They are read without the actor's
// data scope, like every record the definitions name.
func (rt *Runtime) generateSources(ctx context.Context, tx *sql.Tx, g *metamodel.GenerateAction, e *metamodel.Entity, rec *Record) ([]*Record, error) {
	ss := rt.stores[g.Source.QualifiedName()]
	q := ss.selectSQL
	var args []any
	if where := strings.TrimSpace(g.From.Where); where != "" {
		node, err := filter.Parse(where)
		if err == nil {
			node, err = filter.Bind(node, RecordParams(e, rec))
		}
		var cond string
		if err == nil {
			cond, args, err = filter.Compile(node, rt.scopeResolver(ss), binder{rt.DB}, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("generate %s: from %s where %q: %w", g.Target.QualifiedName(), g.Source.QualifiedName(), where, err)
		}
		q += " WHERE " + cond
	}
	q += " ORDER BY " + rt.DB.Quote("id") + fmt.Sprintf(" LIMIT %d", metamodel.MaxGenerated+1)
	sources, err := rt.queryRecords(ctx, tx, ss, q, args...)
	if err != nil {
		return nil, err
	}
	if len(sources) > metamodel.MaxGenerated {
		return nil, generateRefusal(errcode.GenerateLimit, "生成 %s 失败：符合条件的%s超过 %d 条，超过一次最多生成 %d 条的上限", g.Label(), entityLabel(g.Source), metamodel.MaxGenerated, metamodel.MaxGenerated)
	}
	return sources, nil
}

// generatedValues evaluates g's set expressions into canonical values of
// the generated entity's fields.
func generatedValues(g *metamodel.GenerateAction, env map[string]any) (map[string]any, error) {
	names := make([]string, 0, len(g.SetPrograms))
	for name := range g.SetPrograms {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make(map[string]any, len(names))
	verr := &ValidationError{}
	for _, name := range names {
		f := g.Target.Field(name)
		out, err := metamodel.Run(g.SetPrograms[name], env)
		if err != nil {
			verr.Add(name, errcode.Set, "%s 无法计算：%v", fieldLabel(f), err)
			continue
		}
		v, err := generatedValue(f, out)
		if err != nil {
			verr.Add(name, errcode.Set, "%s：%s", fieldLabel(f), metamodel.AsInputError(err).Text())
			continue
		}
		values[name] = v
	}
	if verr.empty() {
		return values, nil
	}
	return nil, verr
}

// generatedValue turns an expression's result into f's canonical value.
// An expression's empty values (a ref's 0, a zero date, "" for a code) are
// an empty field, as they are empty fields when an expression reads them.
func generatedValue(f *metamodel.Field, out any) (any, error) {
	col := f.Kind.Column(f).Kind
	switch x := out.(type) {
	case nil:
		return nil, nil
	case int:
		if x == 0 && f.Is(metamodel.RecordRef) {
			return nil, nil
		}
		out = int64(x)
	case float64:
		return nil, fmt.Errorf("结果 %v 是浮点数，请用 dec() 得到精确的数", x)
	case decimal.Decimal:
		if col == metamodel.ColumnInt {
			if !x.Equal(x.Truncate(0)) {
				return nil, fmt.Errorf("应为整数，得到 %s", x)
			}
			out = x.IntPart()
		}
	case time.Time:
		if x.IsZero() {
			return nil, nil
		}
	case string:
		if x == "" && !f.Is(metamodel.Textual) {
			return nil, nil
		}
	}
	return f.Kind.Parse(f, out)
}

// generateRefusal is a ValidationError of the whole transition.
func generateRefusal(code errcode.Code, format string, args ...any) error {
	return Invalid(RecordField, code, format, args...)
}

// generateFailure reports why a generated record was refused, naming it:
// "生成 明细（来源 人员 #12）失败：金额 为必填项".
func generateFailure(what errcode.Text, e *metamodel.Entity, err error) error {
	prefix := errcode.Generate.Format("生成 %s 失败：", what)
	if strings.HasSuffix(what.Zh, "）") {
		prefix = errcode.Generate.Format("生成 %s失败：", what)
	}
	var ve *ValidationError
	var ce *ConflictError
	var fe *ForbiddenError
	switch {
	case errors.As(err, &ve):
		names := make([]string, 0, len(ve.Fields))
		for name := range ve.Fields {
			names = append(names, name)
		}
		sort.Strings(names)
		var zh, en []string
		for _, name := range names {
			var label errcode.Text
			if f := e.Field(name); f != nil {
				label = fieldLabel(f)
			}
			for _, fe := range ve.Fields[name] {
				msg := fe.text()
				if label.Zh != "" && !strings.HasPrefix(msg.Zh, label.Zh) {
					zh, en = append(zh, label.Zh+"："+msg.Zh), append(en, label.En+": "+msg.In(true))
				} else {
					zh, en = append(zh, msg.Zh), append(en, msg.In(true))
				}
			}
		}
		return InvalidText(RecordField, errcode.Generate, errcode.Text{Zh: prefix.Zh + strings.Join(zh, "；"), En: prefix.In(true) + strings.Join(en, "; ")})
	case errors.As(err, &ce):
		return &ConflictError{Code: ce.Code, Message: prefix.Zh + ce.Message, MessageEn: prefix.In(true) + ce.Text(true)}
	case errors.As(err, &fe):
		return &ForbiddenError{Message: prefix.Zh + fe.Message, MessageEn: prefix.In(true) + fe.Text(true)}
	}
	return err
}
