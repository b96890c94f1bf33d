package engine

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Writes go through three steps, the same for the API, forms and imports:
// decodeInput turns what the client sent into canonical values (and refuses
// unknown or read-only fields), then complete fills defaults and computed
// fields, then validate checks required fields, each field type's limits, codes
// against their code set and the record's fiscal year, and the entity's rules.

// decodeInput parses input (JSON-decoded with UseNumber, or form strings) into
// canonical values. writable says which fields this actor may write.
func decodeInput(e *metamodel.Entity, input map[string]any, writable func(*metamodel.Field) bool) (map[string]any, *ValidationError) {
	out := make(map[string]any, len(input))
	verr := &ValidationError{}
	for key, raw := range input {
		f := e.Field(key)
		if f == nil {
			if slices.Contains(metamodel.SystemFields, key) || key == "version" {
				verr.Malformed = true
				verr.Add(key, errcode.SystemField, "系统字段 %s 不能直接写入", key)
				continue
			}
			verr.Malformed = true
			verr.Add(key, errcode.UnknownField, "%s 中没有字段 %s", entityLabel(e), key)
			continue
		}
		if f.Readonly || f.Computed() || (writable != nil && !writable(f)) {
			verr.Add(key, errcode.Readonly, "%s 是只读字段", fieldLabel(f))
			continue
		}
		if raw == nil {
			out[key] = nil
			continue
		}
		if s, ok := raw.(string); ok && s == "" && !f.Is(metamodel.Textual) {
			// An empty form input clears a non-text field.
			out[key] = nil
			continue
		}
		v, err := f.Kind.Parse(f, raw)
		if err != nil {
			verr.addInput(key, err)
			continue
		}
		out[key] = v
	}
	if verr.empty() {
		return out, nil
	}
	return out, verr
}

// applyDefaults fills fields the creator left out with their defaults.
func applyDefaults(e *metamodel.Entity, values map[string]any) {
	for _, f := range e.Fields {
		if _, given := values[f.Name]; given || f.Default == nil {
			continue
		}
		if v, _ := metamodel.DefaultValue(f); v != nil {
			values[f.Name] = v
		}
	}
	applyRollupEmpties(e, values)
}

// exprEnv is the environment expressions of e run against.
func exprEnv(e *metamodel.Entity, rec *Record, values map[string]any) map[string]any {
	env := make(map[string]any, exprEnvSize(e))
	fillExprEnv(env, e, rec, values)
	return env
}

// exprEnvSize is how many names an environment of e holds.
func exprEnvSize(e *metamodel.Entity) int {
	n := len(e.Fields) + 8
	if p := e.App.Project(); p != nil {
		n += len(p.Functions())
	}
	return n
}

// exprEnvs keeps the environments validateRules is done with: an import
// validates thousands of records, and a fresh map for each was a tenth of
// its CPU (docs/performance.md). The programs run on an environment keep
// nothing of it.
var exprEnvs sync.Pool

// fillExprEnv puts in env, empty, the environment of exprEnv.
func fillExprEnv(env map[string]any, e *metamodel.Entity, rec *Record, values map[string]any) {
	p := e.App.Project()
	var functions map[string]any
	if p != nil {
		functions = p.Functions()
	}
	for _, f := range e.Fields {
		v := values[f.Name]
		if v == nil {
			env[f.Name] = f.Kind.Zero(f)
			continue
		}
		if n, ok := v.(int64); ok {
			env[f.Name] = int(n)
			continue
		}
		env[f.Name] = v
	}
	env["today"] = Today(time.Now())
	for name, fn := range functions {
		env[name] = fn
	}
	if rec != nil && rec.refs != nil {
		env[metamodel.RefsName] = rec.refs
	}
	if rec != nil {
		env["id"] = int(rec.ID)
		env["state"] = rec.State
		env["created_by"] = rec.CreatedBy
		env["created_at"] = rec.CreatedAt
		env["updated_at"] = rec.UpdatedAt
	} else {
		env["id"], env["state"], env["created_by"] = 0, "", ""
		env["created_at"], env["updated_at"] = time.Time{}, time.Time{}
	}
}

// computeFields evaluates every computed field in order (a computed field may
// use one computed before it). A field whose expression fails is left empty
// and its failure returned, by field; the others are still computed.
func computeFields(e *metamodel.Entity, rec *Record, values map[string]any) map[*metamodel.Field]error {
	var env map[string]any
	var failed map[*metamodel.Field]error
	fail := func(f *metamodel.Field, err error) {
		if failed == nil {
			failed = map[*metamodel.Field]error{}
		}
		failed[f] = err
		values[f.Name] = nil
		env[f.Name] = f.Kind.Zero(f)
	}
	for _, f := range e.Fields {
		if f.Program == nil || (rec != nil && rec.frozen[f.Name]) {
			continue
		}
		if env == nil {
			env = exprEnv(e, rec, values)
		}
		out, err := metamodel.Run(f.Program, env)
		if err != nil {
			fail(f, err)
			continue
		}
		v, err := f.Kind.Parse(f, out)
		if err != nil {
			fail(f, err)
			continue
		}
		values[f.Name] = v
		env[f.Name] = v
		if n, ok := v.(int64); ok {
			env[f.Name] = int(n)
		}
	}
	return failed
}

// validate checks a complete set of values; rec is the stored record on update.
func validate(e *metamodel.Entity, rec *Record, values map[string]any) *ValidationError {
	if verr := validateFields(e, values); verr != nil {
		// Rules assume well-formed fields; report field problems first.
		return verr
	}
	return validateRules(e, rec, values)
}

// validateFields checks required fields, each field type's limits and codes.
func validateFields(e *metamodel.Entity, values map[string]any) *ValidationError {
	verr := &ValidationError{}
	for _, f := range e.Fields {
		v := values[f.Name]
		if v == nil || v == "" {
			if f.Required && !f.Computed() {
				verr.Add(f.Name, errcode.Required, "%s 为必填项", fieldLabel(f))
			}
			continue
		}
		if err := f.Kind.Validate(f, v); err != nil {
			verr.addInput(f.Name, err)
			continue
		}
		if err := metamodel.CheckInRecord(f, v, values); err != nil {
			verr.addInput(f.Name, err)
		}
	}
	if !verr.empty() {
		return verr
	}
	return nil
}

// validateRules checks the entity's rules against well-formed values.
func validateRules(e *metamodel.Entity, rec *Record, values map[string]any) *ValidationError {
	verr := &ValidationError{}
	var env map[string]any
	for i, r := range e.Rules {
		if r.AssertProgram == nil {
			continue
		}
		if env == nil {
			env, _ = exprEnvs.Get().(map[string]any)
			if env == nil {
				env = make(map[string]any, exprEnvSize(e))
			}
			fillExprEnv(env, e, rec, values)
			defer func() {
				clear(env)
				exprEnvs.Put(env)
			}()
		}
		if r.WhenProgram != nil {
			if ok, err := metamodel.RunBool(r.WhenProgram, env); err != nil || !ok {
				continue
			}
		}
		ok, err := metamodel.RunBool(r.AssertProgram, env)
		if err == nil && ok {
			continue
		}
		code := errcode.Code(r.Name)
		if code == "" {
			code = errcode.Code(fmt.Sprintf("rule_%d", i+1))
		}
		fe := FieldError{Code: code, Message: r.Message, MessageEn: r.MessageEn}
		if err != nil {
			fe.Message = fmt.Sprintf("%s（规则无法计算：%v）", r.Message, err)
			if r.MessageEn != "" {
				fe.MessageEn = fmt.Sprintf("%s (the rule could not be evaluated: %v)", r.MessageEn, err)
			}
		}
		fields := r.Fields
		if len(fields) == 0 {
			fields = []string{RecordField}
		}
		for _, name := range fields {
			verr.addError(name, fe)
		}
	}
	if verr.empty() {
		return nil
	}
	return verr
}

// beijing is China Standard Time (UTC+8, no daylight saving): fiscal days in
// this domain turn over at midnight Beijing time, not at midnight UTC.
var beijing = time.FixedZone("CST", 8*3600)

// Today is the calendar date in Beijing at instant now, as midnight UTC of that
// date (the form date fields have).
func Today(now time.Time) time.Time {
	y, m, d := now.In(beijing).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
