package filter_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// testApp is a tiny app with one entity covering every field type and four
// code sets: agency (small, fixed-width levels), unit (more than
// MaxInValues codes under "9", prefix-coded), loose (more than MaxInValues
// under "1", but "1z" starts with "1" without being below it) and division
// (codes that do not start with their parent's code, as 财政区划 does; exactly
// MaxInValues codes under 510000000, more under 520000000).
const testApp = `
app: t
title: 测试
codesets:
  agency:
    title: 预算单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 人大}
      - {code: "101001", name: 人大办公厅, parent: "101"}
      - {code: "101002", name: 人大法工委, parent: "101"}
      - {code: "102", name: 政协}
      - {code: "1_2", name: 带下划线的代码}
  unit:
    title: 大代码集
    levels: [1, 4]
    csv: unit.csv
  loose:
    title: 不定长代码集
    csv: loose.csv
  division:
    title: 区划
    csv: division.csv
entities:
  payment:
    title: 支付
    fields:
      year:      {type: int}
      agency:    {type: code, codeset: agency}
      unit:      {type: code, codeset: unit}
      loose:     {type: code, codeset: loose}
      division:  {type: code, codeset: division}
      amount:    {type: money}
      rate:      {type: decimal, scale: 4}
      status:
        type: enum
        values: [{value: draft}, {value: submitted}, {value: approved}]
      purpose:   {type: text}
      name:      {type: string, max_length: 20}
      paid:      {type: bool}
      pay_date:  {type: date}
      paid_at:   {type: datetime}
      indicator: {type: ref, entity: payment}
      net:       {type: computed, expr: "amount", returns: money}
      secret:    {type: string}
`

var (
	entityOnce sync.Once
	entity     *metamodel.Entity
	entityErr  error
)

// payment loads the test app once per test binary; fuzzing calls it often.
func payment(tb testing.TB) *metamodel.Entity {
	tb.Helper()
	entityOnce.Do(func() {
		dir, err := os.MkdirTemp("", "filter-test-")
		if err != nil {
			entityErr = err
			return
		}
		defer os.RemoveAll(dir)
		var unit, loose, division strings.Builder
		unit.WriteString("code,name,parent\n9,九,\n")
		loose.WriteString("code,name,parent\n1,一,\n1z,一z,\n")
		division.WriteString("code,name,parent\n510000000,四川省,\n520000000,贵州省,\n")
		for i := 1; i <= filter.MaxInValues+200; i++ {
			fmt.Fprintf(&unit, "9%04d,单位%d,9\n", i, i)
			fmt.Fprintf(&loose, "1a%04d,单位%d,1\n", i, i)
			fmt.Fprintf(&division, "52%07d,县%d,520000000\n", i, i)
		}
		// 510000000 and what lies under it are exactly MaxInValues codes.
		for i := 1; i < filter.MaxInValues; i++ {
			fmt.Fprintf(&division, "51%07d,县%d,510000000\n", i, i)
		}
		files := map[string]string{
			"t/app.yaml":     testApp,
			"t/unit.csv":     unit.String(),
			"t/loose.csv":    loose.String(),
			"t/division.csv": division.String(),
		}
		for name, text := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				entityErr = err
				return
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				entityErr = err
				return
			}
		}
		p, err := metamodel.Load(dir)
		if err != nil {
			entityErr = err
			return
		}
		entity = p.App("t").Entity("payment")
	})
	if entityErr != nil {
		tb.Fatalf("loading the test app: %v", entityErr)
	}
	return entity
}

// resolver exposes the entity's fields except secret (as a role that may not
// see it) and three system columns, quoted as both databases quote.
func resolver(e *metamodel.Entity) filter.Resolver {
	system := map[string]filter.SystemKind{"id": filter.SystemInt, "state": filter.SystemText, "created_at": filter.SystemTime}
	return func(name string) (filter.Column, bool) {
		if k, ok := system[name]; ok {
			return filter.Column{SQL: `"` + name + `"`, Kind: k}, true
		}
		f := e.Field(name)
		if f == nil || name == "secret" {
			return filter.Column{}, false
		}
		return filter.Column{SQL: `"` + name + `"`, Field: f}, true
	}
}

// binder is a fake dialect: money and decimals become integer minor units, as
// the record store keeps them; everything else passes through.
type binder struct{ postgres bool }

func (b binder) Placeholder(n int) string {
	if b.postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func (b binder) Arg(f *metamodel.Field, v any) any {
	if d, ok := v.(decimal.Decimal); ok {
		return d.Shift(int32(f.Kind.Column(f).Scale)).IntPart()
	}
	return v
}

var (
	sqlite   = binder{}
	postgres = binder{postgres: true}
)

func TestParse(t *testing.T) {
	scenarios := []struct {
		src  string
		want string // canonical String()
	}{
		{"year = 2026", "year = 2026"},
		{"year=2026", "year = 2026"},
		{"  year\t>=\n2026  ", "year >= 2026"},
		{"a != 1", "a != 1"},
		{"a < 1 and b <= 2 and c > 3 and d >= 4", "a < 1 and b <= 2 and c > 3 and d >= 4"},
		{"amount >= -12.50", "amount >= -12.50"},
		{"amount = 007", "amount = 007"},
		{`name = "it's"`, `name = 'it''s'`},
		{`name = "say \"hi\" \\ \n"`, `name = 'say "hi" \ \n'`},
		{"name = 'it''s'", "name = 'it''s'"},
		{"name = ''", "name = ''"},
		{"name = '会议'", "name = '会议'"},
		{"paid = TRUE or paid = False", "paid = true or paid = false"},
		{"status IN ('draft','submitted')", "status in ('draft', 'submitted')"},
		{"year in (2025, 2026)", "year in (2025, 2026)"},
		{"purpose LIKE '%会议%'", "purpose like '%会议%'"},
		{`purpose like '50\%'`, `purpose like '50\%'`},
		{`purpose like "50\%"`, `purpose like '50\%'`},
		{`purpose like 'a\\'`, `purpose like 'a\\'`},
		{"agency Under '101'", "agency under '101'"},
		{"name is null", "name is null"},
		{"name IS NOT NULL", "name is not null"},
		{"not paid = true", "not paid = true"},
		{"NOT NOT paid = true", "not not paid = true"},
		{"not (a = 1 and b = 2)", "not (a = 1 and b = 2)"},
		{"not (a = 1)", "not a = 1"},
		{"a = 1 or b = 2 and c = 3", "a = 1 or b = 2 and c = 3"},
		{"(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3"},
		{"((a = 1))", "a = 1"},
		{"(a = 1 and b = 2) and c = 3", "a = 1 and b = 2 and c = 3"},
		{"a = 1 or (b = 2 or c = 3)", "a = 1 or b = 2 or c = 3"},
		{"a = 1 or (b = 2 and c = 3)", "a = 1 or b = 2 and c = 3"},
		{"year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft','submitted')) and not purpose like '%会议%'",
			"year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft', 'submitted')) and not purpose like '%会议%'"},
		// Keywords are keywords only where the grammar expects them, so a
		// field may be called like one.
		{"in = 1 and is is null", "in = 1 and is is null"},
		{"_x1 = 1", "_x1 = 1"},
		{"a = 1\u3000and b = 2", "a = 1 and b = 2"},
	}
	for _, s := range scenarios {
		t.Run(s.src, func(t *testing.T) {
			n, err := filter.Parse(s.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := n.String(); got != s.want {
				t.Fatalf("String() = %q, want %q", got, s.want)
			}
			again, err := filter.Parse(n.String())
			if err != nil || again.String() != s.want {
				t.Fatalf("canonical form does not parse back: %v, %v", again, err)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	n, err := filter.Parse("a = 1 and (b in ('x', \"y\") or not c is not null)")
	if err != nil {
		t.Fatal(err)
	}
	want := &filter.And{Terms: []filter.Node{
		&filter.Compare{Field: "a", Offset: 0, Op: filter.Eq, Value: filter.Value{Kind: filter.Number, Text: "1", Offset: 4}},
		&filter.Or{Terms: []filter.Node{
			&filter.In{Field: "b", Offset: 11, Values: []filter.Value{{Kind: filter.String, Text: "x", Offset: 17}, {Kind: filter.String, Text: "y", Offset: 22}}},
			&filter.Not{Term: &filter.IsNull{Field: "c", Offset: 34, Not: true}},
		}},
	}}
	if !reflect.DeepEqual(n, want) {
		t.Fatalf("got  %#v\nwant %#v", n, want)
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", filter.MaxDepth+1) + "a = 1" + strings.Repeat(")", filter.MaxDepth+1)
	nots := strings.Repeat("not ", filter.MaxDepth) + "a = 1"
	many := strings.TrimSuffix(strings.Repeat("a = 1 and ", filter.MaxPredicates+1), " and ")
	list := "a in (" + strings.TrimSuffix(strings.Repeat("1,", filter.MaxInValues+1), ",") + ")"
	scenarios := []struct {
		name, src, want string
	}{
		{"empty", "", "at 0: the filter is empty"},
		{"blank", "  \n", "at 0: the filter is empty"},
		{"no value", "year = ", `at 7: expected a value after "="`},
		{"no value before and", "year = and b = 1", `at 7: expected a value after "=", found "and" (text values are quoted: 'and')`},
		{"unquoted text", "status = draft", `at 9: expected a value after "=", found "draft" (text values are quoted: 'draft')`},
		{"no operator", "year 2026", `at 5: expected an operator (=, !=, <, <=, >, >=, in, like, under or is) after "year", found the number 2026`},
		{"only a field", "year", `at 4: expected an operator (=, !=, <, <=, >, >=, in, like, under or is) after "year", found the end of the filter`},
		{"dangling and", "a = 1 and", `at 9: expected a condition after "and", found the end of the filter`},
		{"dangling or", "a = 1 or )", `at 9: expected a condition after "or", found ")"`},
		{"leading op", "= 1", `at 0: expected a condition, found "="`},
		{"missing and", "a = 1 b = 2", `at 6: expected "and", "or" or the end of the filter, found "b"`},
		{"typo in keyword", "a = 1 adn b = 2", `at 6: expected "and", "or" or the end of the filter, found "adn"`},
		{"unclosed paren", "(a = 1", `at 6: expected ")" to close the "(" at 0, found the end of the filter`},
		{"extra paren", "a = 1)", `at 5: unexpected ")" without a matching "("`},
		{"empty parens", "()", `at 1: expected a condition after "(", found ")"`},
		{"eq null", "name = null", `at 7: use "is null" to find empty values; "= null" matches nothing`},
		{"ne null", "name != NULL", `at 8: use "is not null" to find values that are set; "!= null" matches nothing`},
		{"lt null", "name < null", `at 7: null cannot be compared with "<"; use "is null" or "is not null"`},
		{"null in list", "name in ('a', null)", `at 14: null cannot be in an "in" list; add "or field is null"`},
		{"in without paren", "a in 1", `at 5: expected "(" after "in", found the number 1`},
		{"empty in", "a in ()", `at 6: expected a value after "(", found ")"`},
		{"trailing comma", "a in (1,)", `at 8: expected a value after ",", found ")"`},
		{"unclosed in", "a in (1 2)", `at 8: expected "," or ")" in the "in" list, found the number 2`},
		{"like number", "a like 5", `at 7: expected a quoted pattern after "like", found the number 5`},
		{"like trailing escape", `a like 'x\'`, `at 7: the pattern ends with a lone "\"; write "\\" to match a backslash`},
		{"under unquoted", "agency under 101", `at 13: expected a quoted code after "under", found the number 101`},
		{"is what", "a is empty", `at 5: expected "null" after "is", found "empty"`},
		{"is not what", "a is not 1", `at 9: expected "null" after "is", found the number 1`},
		{"postfix not", "a not like 'x'", `at 2: "not" goes before a condition: write not a ... instead of a not ...`},
		{"upper case field", "Amount = 1", `at 0: field names are lower case: write "amount", not "Amount"`},
		{"double equals", "a == 1", `at 2: use "=" rather than "=="`},
		{"sql not equal", "a <> 1", `at 2: use "!=" rather than "<>"`},
		{"bang", "!a", `at 0: unexpected "!"; the operator is "!=", and negation is "not"`},
		{"unterminated single", "a = 'abc", `at 4: unterminated string: a ' is missing at the end`},
		{"unterminated double", `a = "abc\"`, `at 4: unterminated string: a " is missing at the end`},
		{"nul in string", "a = 'x\x00'", `at 4: a string may not contain the NUL character`},
		{"invalid utf8", "a = '\xff'", `at 5: the filter is not valid UTF-8`},
		{"full-width paren", "（a = 1)", `at 0: unexpected character '（'; use the ASCII "(" instead`},
		{"full-width quote", "a = ‘x’", `at 4: unexpected character '‘'; use the ASCII "'" instead`},
		{"stray character", "a = 1 ; drop", `at 6: unexpected character ';'`},
		{"minus alone", "a = -x", `at 4: expected a digit after "-"`},
		{"float exponent", "a = 1e5", `at 4: malformed number "1e5" (write text in quotes)`},
		{"two points", "a = 1.2.3", `at 4: malformed number "1.2.3" (write text in quotes)`},
		{"point without digits", "a = 1.", `at 4: malformed number "1.": expected a digit after the decimal point`},
		{"plus sign", "a = +1", `at 4: unexpected character '+'`},
		{"too long", "a = '" + strings.Repeat("x", filter.MaxLength) + "'", "at 4096: the filter is longer than 4096 bytes"},
		{"too deep", deep, `at 32: the filter nests deeper than 32 levels of parentheses and "not"`},
		{"too many nots", "(" + nots + ")", `at 125: the filter nests deeper than 32 levels of parentheses and "not"`},
		{"too many predicates", many, fmt.Sprintf("at %d: the filter has more than 100 conditions", 100*len("a = 1 and "))},
		{"too many values", list, fmt.Sprintf(`at %d: an "in" list may hold at most 1000 values`, len("a in (")+2*filter.MaxInValues)},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			n, err := filter.Parse(s.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", s.src, n, s.want)
			}
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *filter.Error", err)
			}
			if err.Error() != s.want {
				t.Fatalf("error\n got %s\nwant %s", err, s.want)
			}
			if fe.Offset < 0 || fe.Offset > len(s.src) {
				t.Fatalf("offset %d outside the source (length %d)", fe.Offset, len(s.src))
			}
		})
	}
}

func TestParseLimitsInclusive(t *testing.T) {
	for name, src := range map[string]string{
		"length":     "a = '" + strings.Repeat("x", filter.MaxLength-6) + "'",
		"depth":      strings.Repeat("(", filter.MaxDepth) + "a = 1" + strings.Repeat(")", filter.MaxDepth),
		"nots":       strings.Repeat("not ", filter.MaxDepth) + "a = 1",
		"predicates": strings.TrimSuffix(strings.Repeat("a = 1 and ", filter.MaxPredicates), " and "),
		"in values":  "a in (" + strings.TrimSuffix(strings.Repeat("1,", filter.MaxInValues), ",") + ")",
	} {
		if _, err := filter.Parse(src); err != nil {
			t.Errorf("%s at the limit: %v", name, err)
		}
	}
}

var decimalType = reflect.TypeOf(decimal.Decimal{})

func TestCompile(t *testing.T) {
	e := payment(t)
	scenarios := []struct {
		src      string
		sqlite   string
		postgres string // with argStart 2; empty: sqlite with ? numbered $3, $4, …
		args     []any
	}{
		{"year = 2026", `"year" = ?`, `"year" = $3`, []any{int64(2026)}},
		{"year = '2026'", `"year" = ?`, "", []any{int64(2026)}},
		{"year != 2026", `"year" <> ?`, "", []any{int64(2026)}},
		{"amount >= '1000.00'", `"amount" >= ?`, "", []any{int64(100000)}},
		{"amount >= 1000.5", `"amount" >= ?`, "", []any{int64(100050)}},
		{"amount < -3", `"amount" < ?`, "", []any{int64(-300)}},
		{"rate <= '0.0125'", `"rate" <= ?`, "", []any{int64(125)}},
		{"net > 0", `"net" > ?`, "", []any{int64(0)}},
		{"indicator = 7", `"indicator" = ?`, "", []any{int64(7)}},
		{"paid = true", `"paid" = ?`, "", []any{true}},
		{"paid != 'false'", `"paid" <> ?`, "", []any{false}},
		{"pay_date >= '2026-01-01'", `"pay_date" >= ?`, "", []any{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"paid_at < '2026-01-02T08:00:00+08:00'", `"paid_at" < ?`, "", []any{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}},
		{"status > 'd'", `"status" > ?`, "", []any{"d"}},
		{"status = 'nonsense'", `"status" = ?`, "", []any{"nonsense"}},
		{"status in ('draft', 'submitted')", `"status" IN (?, ?)`, `"status" IN ($3, $4)`, []any{"draft", "submitted"}},
		{"purpose like '%会议%'", `"purpose" LIKE ? ESCAPE '\'`, `"purpose" LIKE $3 ESCAPE '\'`, []any{"%会议%"}},
		{"agency like '10_'", `"agency" LIKE ? ESCAPE '\'`, "", []any{"10_"}},
		{"name is null", `"name" IS NULL`, `"name" IS NULL`, nil},
		{"name is not null", `"name" IS NOT NULL`, "", nil},
		{"agency under '101'", `"agency" IN (?, ?, ?)`, `"agency" IN ($3, $4, $5)`, []any{"101", "101001", "101002"}},
		{"agency under '101002'", `"agency" IN (?)`, "", []any{"101002"}},
		{"unit under '9'", `"unit" LIKE ? ESCAPE '\'`, `"unit" LIKE $3 ESCAPE '\'`, []any{"9%"}},
		{"unit under '90001'", `"unit" IN (?)`, "", []any{"90001"}},
		{"not paid = true", `NOT ("paid" = ?)`, `NOT ("paid" = $3)`, []any{true}},
		{"id = 5 and state = 'draft' and created_at >= '2026-01-01T00:00:00Z'",
			`"id" = ? AND "state" = ? AND "created_at" >= ?`, `"id" = $3 AND "state" = $4 AND "created_at" >= $5`,
			[]any{int64(5), "draft", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"state like 'dr%'", `"state" LIKE ? ESCAPE '\'`, "", []any{"dr%"}},
		{"year = 1 or year = 2", `("year" = ? OR "year" = ?)`, `("year" = $3 OR "year" = $4)`, []any{int64(1), int64(2)}},
		{"year = 1 or year = 2 and paid = true", `("year" = ? OR "year" = ? AND "paid" = ?)`, "", []any{int64(1), int64(2), true}},
		{"not (year = 1 or year = 2)", `NOT ("year" = ? OR "year" = ?)`, "", []any{int64(1), int64(2)}},
		{"year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft','submitted')) and not purpose like '%会议%'",
			`"year" = ? AND "agency" IN (?, ?, ?) AND ("amount" >= ? OR "status" IN (?, ?)) AND NOT ("purpose" LIKE ? ESCAPE '\')`,
			`"year" = $3 AND "agency" IN ($4, $5, $6) AND ("amount" >= $7 OR "status" IN ($8, $9)) AND NOT ("purpose" LIKE $10 ESCAPE '\')`,
			[]any{int64(2026), "101", "101001", "101002", int64(100000), "draft", "submitted", "%会议%"}},
		// Injection attempts stay values.
		{"name = 'x'' or 1=1 --'", `"name" = ?`, `"name" = $3`, []any{"x' or 1=1 --"}},
		{`name = "x\" or \"1\"=\"1"`, `"name" = ?`, "", []any{`x" or "1"="1`}},
		{`name = '"; drop table payment; --'`, `"name" = ?`, "", []any{`"; drop table payment; --`}},
		{`purpose like '%'') or (''1''=''1'`, `"purpose" LIKE ? ESCAPE '\'`, "", []any{`%') or ('1'='1`}},
		{`name in ('$1', '?', '\')`, `"name" IN (?, ?, ?)`, `"name" IN ($3, $4, $5)`, []any{"$1", "?", `\`}},
	}
	for _, s := range scenarios {
		t.Run(s.src, func(t *testing.T) {
			n, err := filter.Parse(s.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			sql, args, err := filter.Compile(n, resolver(e), sqlite, 0)
			if err != nil {
				t.Fatalf("Compile (SQLite): %v", err)
			}
			if sql != s.sqlite {
				t.Errorf("SQLite SQL\n got %s\nwant %s", sql, s.sqlite)
			}
			if !reflect.DeepEqual(args, s.args) {
				t.Errorf("SQLite args\n got %#v\nwant %#v", args, s.args)
			}
			for _, a := range args {
				if reflect.TypeOf(a) == decimalType {
					t.Errorf("a decimal reached the database unconverted: %v", a)
				}
			}
			want := s.postgres
			if want == "" {
				want = numberPlaceholders(s.sqlite, 2)
			}
			sql, pargs, err := filter.Compile(n, resolver(e), postgres, 2)
			if err != nil {
				t.Fatalf("Compile (PostgreSQL): %v", err)
			}
			if sql != want {
				t.Errorf("PostgreSQL SQL\n got %s\nwant %s", sql, want)
			}
			if !reflect.DeepEqual(pargs, s.args) {
				t.Errorf("PostgreSQL args\n got %#v\nwant %#v", pargs, s.args)
			}
		})
	}
}

// numberPlaceholders turns SQLite's ? into $n from start+1; the column SQL of
// the test resolver never holds a ?.
func numberPlaceholders(sql string, start int) string {
	var b strings.Builder
	for _, r := range sql {
		if r == '?' {
			start++
			b.WriteString("$" + strconv.Itoa(start))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestCompileErrors(t *testing.T) {
	e := payment(t)
	scenarios := []struct {
		src, want string
	}{
		{"amout = 1", `at 0: unknown field "amout" (did you mean "amount"?)`},
		{"year = 1 and ammount = 1", `at 13: unknown field "ammount" (did you mean "amount"?)`},
		{"yaer = 1", `at 0: unknown field "yaer" (did you mean "year"?)`},
		{"nothing_like_it = 1", `at 0: unknown field "nothing_like_it"`},
		// A hidden field is unknown, and never suggested.
		{"secret = 'x'", `at 0: unknown field "secret"`},
		{"secrets = 'x'", `at 0: unknown field "secrets"`},
		{"amount = '12.345'", `at 9: amount: 最多 2 位小数`},
		{"amount = 12.345", `at 9: amount: 最多 2 位小数`},
		{"amount = 'abc'", `at 9: amount: "abc" 不是有效的数字`},
		{"amount = true", `at 9: amount: 应为数字`},
		{"year = 2026.5", `at 7: year: 应为整数，收到 2026.5`},
		{"year = 'soon'", `at 7: year: 应为整数，收到 "soon"`},
		{"agency = 101", `at 9: agency: 应为文本 (text values are quoted: '101')`},
		{"status in ('draft', 3)", `at 20: status: 应为文本 (text values are quoted: '3')`},
		{"paid = 'maybe'", `at 7: paid: 应为 true 或 false`},
		{"paid < true", `at 0: paid: "<" does not apply to a yes/no field; use = or !=`},
		{"pay_date = '2026/01/01'", `at 11: pay_date: 日期格式应为 YYYY-MM-DD，收到 "2026/01/01"`},
		{"indicator = 0", `at 12: indicator: 记录编号应为正整数`},
		{"amount like '1%'", `at 0: amount: like applies only to text fields (string, text, enum, code)`},
		{"paid like 't%'", `at 0: paid: like applies only to text fields (string, text, enum, code)`},
		{"created_at like '2026%'", `at 0: created_at: like applies only to text fields (string, text, enum, code)`},
		{"name under '101'", `at 0: name: under applies only to code fields`},
		{"id under '1'", `at 0: id: under applies only to code fields`},
		{"agency under '999'", `at 13: agency: 代码 999 不在代码集“预算单位”中`},
		{"loose under '1'", `at 12: loose: 1201 codes lie under 1, more than 1000, and the codes of loose do not start with their parent's code; filter on codes further down`},
		{"division under '520000000'", `at 15: division: 1201 codes lie under 520000000, more than 1000, and the codes of division do not start with their parent's code; filter on codes further down`},
		{"id = 'x'", `at 5: id: 应为整数，收到 'x'`},
		{"id = true", `at 5: id: 应为整数，收到 true`},
		{"state = 1", `at 8: state: 应为文本 (text values are quoted: '1')`},
		{"created_at > '2026-01-01'", `at 13: created_at: 时间格式应为 RFC 3339（如 2026-01-02T15:04:05+08:00），收到 '2026-01-01'`},
		{"year = 1 or not (amount = 'x')", `at 26: amount: "x" 不是有效的数字`},
	}
	for _, s := range scenarios {
		t.Run(s.src, func(t *testing.T) {
			n, err := filter.Parse(s.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			sql, args, err := filter.Compile(n, resolver(e), sqlite, 0)
			if err == nil {
				t.Fatalf("Compile = %q %v, want error %q", sql, args, s.want)
			}
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T (%v) is not a *filter.Error", err, err)
			}
			if err.Error() != s.want {
				t.Fatalf("error\n got %s\nwant %s", err, s.want)
			}
		})
	}
}

func TestCompileUnderLimits(t *testing.T) {
	e := payment(t)
	// A subtree of exactly MaxInValues codes is still an IN list.
	n, err := filter.Parse("division under '510000000'")
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := filter.Compile(n, resolver(e), postgres, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != filter.MaxInValues || !strings.HasPrefix(sql, `"division" IN ($1, $2, `) || !strings.HasSuffix(sql, ", $1000)") {
		t.Fatalf("got %d args, SQL %.40s…%s", len(args), sql, sql[len(sql)-20:])
	}
	// Eleven such subtrees are within the parser's limits, but more
	// arguments than one statement should bind.
	src := strings.TrimSuffix(strings.Repeat("division under '510000000' or ", 11), " or ")
	if n, err = filter.Parse(src); err != nil {
		t.Fatal(err)
	}
	_, _, err = filter.Compile(n, resolver(e), sqlite, 0)
	if err == nil || err.Error() != fmt.Sprintf("at %d: the filter uses more than 10000 values", 10*len("division under '510000000' or ")+len("division under ")) {
		t.Fatalf("want the argument limit, got %v", err)
	}
}

func TestCompileHandBuilt(t *testing.T) {
	e := payment(t)
	scenarios := []struct {
		name string
		node filter.Node
		want string
	}{
		{"nil", nil, "at 0: the filter is empty"},
		{"typed nil", (*filter.And)(nil), "at 0: the filter is empty"},
		{"empty and", &filter.And{}, "at 0: the filter has an empty group"},
		{"not of nil", &filter.Not{}, "at 0: the filter is empty"},
		{"empty in", &filter.In{Field: "year"}, "at 0: year: the in list is empty"},
		{"bad op", &filter.Compare{Field: "year", Op: "~", Value: filter.Value{Kind: filter.Number, Text: "1"}}, `at 0: unknown operator "~"`},
		{"like number", &filter.Like{Field: "name", Pattern: filter.Value{Kind: filter.Number, Text: "1", Offset: 3}}, "at 3: name: the like pattern must be a quoted string"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			_, _, err := filter.Compile(s.node, resolver(e), sqlite, 0)
			if err == nil || err.Error() != s.want {
				t.Fatalf("got %v, want %s", err, s.want)
			}
		})
	}
	// A resolver that returns a column without SQL is the caller's bug, not
	// the user's: a plain error, so the API answers 500 rather than 400.
	bad := func(string) (filter.Column, bool) { return filter.Column{Field: e.Field("year")}, true }
	n, _ := filter.Parse("year = 1")
	_, _, err := filter.Compile(n, bad, sqlite, 0)
	var fe *filter.Error
	if !errors.Is(err, filter.ErrBadColumn) || errors.As(err, &fe) {
		t.Fatalf("want ErrBadColumn, got %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	err := &filter.Error{Offset: 14, Message: `expected a value after "="`}
	if got, want := err.Error(), `at 14: expected a value after "="`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// sqlShape is everything a compiled filter's SQL may consist of with the
// test resolver: quoted column names, placeholders and fixed keywords. A
// value that leaked into the SQL would not match.
var sqlShape = regexp.MustCompile(`^(?:"[a-z_][a-z0-9_]*"|\?|\$[0-9]+|AND|OR|NOT|IN|LIKE|ESCAPE '\\'|IS|NULL|<>|<=|>=|=|<|>|\(|\)|, | )*$`)

var pgPlaceholder = regexp.MustCompile(`\$[0-9]+`)

func seeds(f *testing.F) {
	for _, s := range []string{
		"year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft','submitted')) and not purpose like '%会议%'",
		"name = 'x'' or 1=1 --'",
		`name = "a\"b\\c"`,
		"not not (a = 1 or b is not null) and c in (1, -2.5, 'x', true)",
		"unit under '9' or state like 'd%' or id >= 3",
		"paid = false or created_at < '2026-01-01T00:00:00Z'",
		"in = 1 and is is null or like like 'x'",
		"(((a = 1)))",
		"a = 1.",
		"amount = '12.345'",
		"a\u3000=\u3000'‘'",
	} {
		f.Add(s)
	}
}

func FuzzParse(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		n, err := filter.Parse(src)
		if err != nil {
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q): error %T is not a *filter.Error", src, err)
			}
			if fe.Offset < 0 || fe.Offset > len(src) {
				t.Fatalf("Parse(%q): offset %d outside the source", src, fe.Offset)
			}
			return
		}
		canonical := n.String()
		if len(canonical) > filter.MaxLength {
			// The canonical form spaces operators out and may outgrow the
			// length limit the source met; nothing to re-parse then.
			return
		}
		again, err := filter.Parse(canonical)
		if err != nil {
			t.Fatalf("Parse(%q) gave %q, which does not parse: %v", src, canonical, err)
		}
		if got := again.String(); got != canonical {
			t.Fatalf("Parse(%q) gave %q, which parses to %q", src, canonical, got)
		}
	})
}

func FuzzCompile(f *testing.F) {
	seeds(f)
	e := payment(f)
	resolve := resolver(e)
	f.Fuzz(func(t *testing.T, src string) {
		n, err := filter.Parse(src)
		if err != nil {
			return
		}
		for _, dialect := range []struct {
			bind  binder
			start int
		}{{sqlite, 0}, {postgres, 3}} {
			sql, args, err := filter.Compile(n, resolve, dialect.bind, dialect.start)
			if err != nil {
				var fe *filter.Error
				if !errors.As(err, &fe) {
					t.Fatalf("Compile(%q): error %T (%v) is not a *filter.Error", src, err, err)
				}
				if fe.Offset < 0 || fe.Offset > len(src) {
					t.Fatalf("Compile(%q): offset %d outside the source", src, fe.Offset)
				}
				continue
			}
			if !sqlShape.MatchString(sql) {
				t.Fatalf("Compile(%q) = %q: SQL holds something other than columns, placeholders and keywords", src, sql)
			}
			var want string
			if dialect.bind.postgres {
				var b strings.Builder
				for i := range args {
					b.WriteString("$" + strconv.Itoa(dialect.start+i+1))
				}
				want = b.String()
				if got := strings.Join(pgPlaceholder.FindAllString(sql, -1), ""); got != want {
					t.Fatalf("Compile(%q) = %q: placeholders %s, want %s", src, sql, got, want)
				}
			} else if got := strings.Count(sql, "?"); got != len(args) {
				t.Fatalf("Compile(%q) = %q: %d placeholders for %d args", src, sql, got, len(args))
			}
		}
	})
}

const benchFilter = "year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft','submitted')) and not purpose like '%会议%'"

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := filter.Parse(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	n, err := filter.Parse(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	resolve := resolver(payment(b))
	for b.Loop() {
		if _, _, err := filter.Compile(n, resolve, postgres, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTags(t *testing.T) {
	crit := map[string]string{
		"民生支出":  "func_class under '205' or func_class under '208' or tag('教育')",
		"教育":    "func_class under '205'",
		"loop1": "amount > 1 and #loop2",
		"loop2": "#loop1",
	}
	lookup := func(name string) (filter.Node, bool) {
		src, ok := crit[name]
		if !ok {
			return nil, false
		}
		n, err := filter.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		return n, true
	}
	for _, c := range []struct{ src, want, err string }{
		{src: "year = 2026 and tag('民生支出')", want: "year = 2026 and (func_class under '205' or func_class under '208' or func_class under '205')"},
		{src: "#民生支出 or not #教育", want: "func_class under '205' or func_class under '208' or func_class under '205' or not func_class under '205'"},
		{src: "tag('无此标签')", err: `at 0: unknown data tag '无此标签'`},
		{src: "#loop1", err: `at 0: in tag "loop1": tag "loop1" names itself: loop1 → loop2 → loop1`},
		{src: "tag(1)", err: `at 4: expected the tag's name in quotes after "tag(", found the number 1`},
		{src: "tag('a'", err: `at 7: expected ")" after the tag's name, found the end of the filter`},
		{src: "# and x = 1", err: `at 0: "#" starts a data tag`},
	} {
		n, err := filter.Parse(c.src)
		if err == nil {
			n, err = filter.Expand(n, lookup, nil)
		}
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err %v, want %s", c.src, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.err == "" && n.String() != c.want:
			t.Errorf("%s:\n got %s\nwant %s", c.src, n, c.want)
		}
	}
	// A report allows some tags by name; tags inside them need not be listed.
	n, _ := filter.Parse("#民生支出")
	if _, err := filter.Expand(n, lookup, []string{"民生支出"}); err != nil {
		t.Errorf("allowed tag: %v", err)
	}
	n, _ = filter.Parse("#教育")
	if _, err := filter.Expand(n, lookup, []string{"民生支出"}); err == nil || !strings.Contains(err.Error(), "the tags here are 民生支出") {
		t.Errorf("tag not allowed: %v", err)
	}
	// The canonical form parses back.
	if n, _ := filter.Parse("#民生支出"); n.String() != "tag('民生支出')" {
		t.Errorf("canonical %s", n)
	}
}
