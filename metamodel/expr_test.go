package metamodel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// loadFiles writes files (path relative to a fresh definitions folder → text)
// and loads the folder.
func loadFiles(t *testing.T, files map[string]string) (*Project, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Load(dir)
}

const calcApp = `
entities:
  calc:
    fields:
      a:      money
      b:      money
      c:      money
      amount: money
      rate:   {type: decimal, scale: 4}
      year:   int
      name:   string
      uscc:   string
      id_no:  string
      card:   string
      paid:   bool
      due:    date
      kind:   {type: enum, values: [x, y]}
`

// calcEntity is an entity with a field of each type for expression tests.
func calcEntity(t *testing.T) *Entity {
	t.Helper()
	p, err := loadFiles(t, map[string]string{"calc/app.yaml": calcApp})
	if err != nil {
		t.Fatal(err)
	}
	return p.App("calc").Entity("calc")
}

// record is an expression environment with the given field values over the
// zero values of every other field, as the engine builds it.
func record(e *Entity, values map[string]any) map[string]any {
	env := Env(e, true)
	env["today"] = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	env["actor"] = Actor{Name: "li", Roles: []string{"treasury"}, Org: "101001"}
	for k, v := range values {
		env[k] = v
	}
	return env
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestExpressions runs rule expressions over records: exact decimal
// arithmetic on amounts, comparisons with number literals, the rule
// functions, system fields and empty fields.
func TestExpressions(t *testing.T) {
	e := calcEntity(t)
	scenarios := []struct {
		name   string
		code   string
		values map[string]any
		want   bool
	}{
		{"decimals add exactly", "a + b == c", map[string]any{"a": dec("0.1"), "b": dec("0.2"), "c": dec("0.3")}, true},
		{"decimal plus literals", "a + 0.2 == 0.3", map[string]any{"a": dec("0.1")}, true},
		{"literals made decimal", "dec(0.1) + dec(0.2) == dec(0.3)", nil, true},
		{"amount at the limit", "amount <= 1000000", map[string]any{"amount": dec("1000000.00")}, true},
		{"amount a fen over the limit", "amount <= 1000000", map[string]any{"amount": dec("1000000.01")}, false},
		{"amount times rate rounded", "round_to(amount * rate, 2) == 32.5", map[string]any{"amount": dec("1000"), "rate": dec("0.0325")}, true},
		{"division keeps decimals", "amount / 3 * 3 > 99.99", map[string]any{"amount": dec("100")}, true},
		{"int with decimal", "amount > year", map[string]any{"amount": dec("2026.01"), "year": 2026}, true},
		{"negative amount", "-amount < 0", map[string]any{"amount": dec("5")}, true},
		{"negated sum", "-(a + b) == -0.3", map[string]any{"a": dec("0.1"), "b": dec("0.2")}, true},
		{"negative int", "-year < 0", map[string]any{"year": 2026}, true},
		{"is_uscc valid", "is_uscc(uscc)", map[string]any{"uscc": "91440300708461136T"}, true},
		{"is_uscc wrong check character", "is_uscc(uscc)", map[string]any{"uscc": "91440300708461136U"}, false},
		{"is_resident_id valid", "is_resident_id(id_no)", map[string]any{"id_no": "11010519491231002X"}, true},
		{"is_resident_id wrong check digit", "is_resident_id(id_no)", map[string]any{"id_no": "110105194912310021"}, false},
		{"birth_date", "birth_date(id_no).Year() == 1949", map[string]any{"id_no": "11010519491231002X"}, true},
		{"is_male", "is_male(id_no)", map[string]any{"id_no": "310115198506154816"}, true},
		{"is_luhn valid", "is_luhn(card)", map[string]any{"card": "6222021234567890128"}, true},
		{"is_luhn wrong", "is_luhn(card)", map[string]any{"card": "6222021234567890123"}, false},
		{"is_division_code", "is_division_code('510104000')", nil, true},
		{"rule functions in one rule", "name == '' || is_uscc(uscc) && amount > 0", map[string]any{"name": "x", "uscc": "914403001922038216", "amount": dec("1")}, true},
		{"empty money is zero", "amount == 0", nil, true},
		{"empty int is zero", "year == 0", nil, true},
		{"empty string is empty", "name == '' && kind == ''", nil, true},
		{"empty bool is false", "!paid", nil, true},
		{"empty date is the zero date", "due.IsZero()", nil, true},
		{"today", "today.Year() == 2026", nil, true},
		{"date before today", "due.Before(today)", map[string]any{"due": time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)}, true},
		{"system fields", "id > 0 && state == 'draft' && created_by == 'li'", map[string]any{"id": 7, "state": "draft", "created_by": "li"}, true},
		{"actor", "'treasury' in actor.roles && actor.org == '101001'", nil, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			prog, err := CompileBool(sc.code, Env(e, true))
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := RunBool(prog, record(e, sc.values))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got != sc.want {
				t.Fatalf("%s = %v, want %v", sc.code, got, sc.want)
			}
		})
	}
}

// TestExpressionValues checks computed values keep decimals exact.
func TestExpressionValues(t *testing.T) {
	e := calcEntity(t)
	scenarios := []struct {
		code   string
		values map[string]any
		want   string
	}{
		{"a + b", map[string]any{"a": dec("0.1"), "b": dec("0.2")}, "0.3"},
		{"a * 3", map[string]any{"a": dec("0.1")}, "0.3"},
		{"a - 0.3", map[string]any{"a": dec("0.1")}, "-0.2"},
		{"round_to(a / 3, 2)", map[string]any{"a": dec("100")}, "33.33"},
		{"round_to(a, 0)", map[string]any{"a": dec("2.5")}, "3"},
		{"-a", map[string]any{"a": dec("2.5")}, "-2.5"},
		{"-(a - b)", map[string]any{"a": dec("0.1"), "b": dec("0.3")}, "0.2"},
	}
	for _, sc := range scenarios {
		t.Run(sc.code, func(t *testing.T) {
			prog, err := CompileValue(sc.code, Env(e, false))
			if err != nil {
				t.Fatal(err)
			}
			out, err := Run(prog, record(e, sc.values))
			if err != nil {
				t.Fatal(err)
			}
			d, ok := out.(decimal.Decimal)
			if !ok {
				t.Fatalf("%s gave %T %v, want a decimal", sc.code, out, out)
			}
			if !d.Equal(dec(sc.want)) {
				t.Fatalf("%s = %s, want %s", sc.code, d, sc.want)
			}
		})
	}
}

// TestExpressionErrors checks what is refused when an expression compiles.
func TestExpressionErrors(t *testing.T) {
	e := calcEntity(t)
	scenarios := []struct {
		name, code, want string
	}{
		{"unknown field", "amout > 0", "unknown name amout"},
		{"not a bool", "amount + 1", "expected bool"},
		{"actor outside guards", "actor.name == ''", "unknown name actor"},
		{"rule function on a number", "is_uscc(year)", "is_uscc"},
		{"syntax", "amount >", "unexpected token"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := CompileBool(sc.code, Env(e, false))
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("want an error containing %q, got %v", sc.want, err)
			}
		})
	}
}

// TestEnvZeroValues checks an empty field's value in expressions is its
// type's zero value, with the type the field has in expressions.
func TestEnvZeroValues(t *testing.T) {
	env := Env(calcEntity(t), false)
	scenarios := []struct {
		field string
		want  any
	}{
		{"amount", decimal.Zero},
		{"year", 0},
		{"name", ""},
		{"paid", false},
		{"due", time.Time{}},
		{"kind", ""},
		{"id", 0},
		{"state", ""},
		{"created_at", time.Time{}},
	}
	for _, sc := range scenarios {
		t.Run(sc.field, func(t *testing.T) {
			got, ok := env[sc.field]
			if !ok {
				t.Fatalf("%s is not in the environment", sc.field)
			}
			if d, isDec := got.(decimal.Decimal); isDec {
				if !d.Equal(sc.want.(decimal.Decimal)) {
					t.Fatalf("%s = %v, want %v", sc.field, got, sc.want)
				}
				return
			}
			if got != sc.want {
				t.Fatalf("%s = %#v, want %#v", sc.field, got, sc.want)
			}
		})
	}
}

// TestFunctionsDocumented checks every rule function has a one-line doc for
// the reference manual.
func TestFunctionsDocumented(t *testing.T) {
	fns := Functions()
	if len(fns) == 0 {
		t.Fatal("no rule functions registered")
	}
	for _, f := range fns {
		if f.Doc == "" || strings.Contains(f.Doc, "\n") {
			t.Errorf("%s: doc %q, want one line", f.Name, f.Doc)
		}
	}
}
