package errcode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// root is the module's root, two folders up.
const root = "../.."

// message is one message the code builds: its code, its Chinese format and
// where.
type message struct {
	code   Code
	format string
	where  string
}

// implicit are the helpers whose code is their name's: the position of
// their format among the arguments, and the code.
var implicit = map[string]struct {
	arg  int
	code Code
}{
	"Forbidden":    {0, Forbidden},
	"NotFound":     {0, NotFound},
	"Unauthorized": {0, Unauthorized},
	"tableErrorf":  {1, File},
	"postingError": {1, Posting},
	"BadQuery":     {1, Malformed},
}

// sources calls fn with every Go file of the module but tests and this
// package's own.
func sources(t *testing.T, fn func(path string, src []byte)) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "errcode") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err == nil {
			fn(p, src)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scan finds every message the module's code (tests left out) builds
// through errcode: a call with an errcode constant followed by a string
// literal (Code.Format, engine.Invalid, conflict, web.NewError …), and the
// calls of the implicit helpers.
func scan(t *testing.T) []message {
	t.Helper()
	var out []message
	fset := token.NewFileSet()
	sources(t, func(p string, src []byte) {
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			where := fset.Position(call.Pos()).String()
			// errcode.X.Format("…")
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Format" && len(call.Args) > 0 {
				if code, ok := constant(sel.X); ok {
					if format, ok := literal(call.Args[0]); ok {
						out = append(out, message{code, format, where})
					}
					return true
				}
			}
			// f(…, errcode.X, "…", …)
			for i := 0; i+1 < len(call.Args); i++ {
				if code, ok := constant(call.Args[i]); ok {
					if format, ok := literal(call.Args[i+1]); ok {
						out = append(out, message{code, format, where})
					}
				}
			}
			if h, ok := implicit[funcName(call.Fun)]; ok && len(call.Args) > h.arg {
				if format, ok := literal(call.Args[h.arg]); ok {
					out = append(out, message{h.code, format, where})
				}
			}
			return true
		})
	})
	if len(out) < 100 {
		t.Fatalf("found %d messages: the scan has gone blind", len(out))
	}
	return out
}

// constant is the code of an expression naming an errcode constant
// (errcode.Stale).
func constant(e ast.Expr) (Code, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "errcode" {
		return "", false
	}
	code, ok := declared()[sel.Sel.Name]
	return code, ok
}

func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// declared is every constant of errcode.go by its Go name.
var declared = func() func() map[string]Code {
	var names map[string]Code
	return func() map[string]Code {
		if names != nil {
			return names
		}
		names = map[string]Code{}
		f, err := parser.ParseFile(token.NewFileSet(), "errcode.go", nil, 0)
		if err != nil {
			panic(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				for i, n := range v.Names {
					value, _ := literal(v.Values[i])
					names[n.Name] = Code(value)
				}
			}
		}
		return names
	}
}()

// chinese reports whether s holds Chinese characters.
func chinese(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestEveryMessageHasEnglish: each Chinese message the code builds has its
// English in the catalogue, and the catalogue holds nothing the code no
// longer builds (a Chinese text edited without its English shows as both).
func TestEveryMessageHasEnglish(t *testing.T) {
	used := map[Code]map[string]bool{}
	for _, m := range scan(t) {
		if ascii(m.format) {
			continue
		}
		if used[m.code] == nil {
			used[m.code] = map[string]bool{}
		}
		used[m.code][m.format] = true
		if _, ok := english[m.code][m.format]; !ok {
			t.Errorf("%s: %s %q has no English in english.go", m.where, m.code, m.format)
		}
	}
	for code, formats := range english {
		for zh := range formats {
			if !used[code][zh] {
				t.Errorf("english.go: %s %q is built nowhere (edited or gone?)", code, zh)
			}
		}
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs is the verbs of a format by argument: what %[2]s and %s mean alike.
func verbs(format string) map[int]string {
	out := map[int]string{}
	next := 1
	for _, v := range verb.FindAllStringSubmatch(format, -1) {
		if v[0] == "%%" {
			continue
		}
		n := next
		if v[1] != "" {
			n, _ = strconv.Atoi(strings.Trim(v[1], "[]"))
		}
		out[n] = v[0][len(v[0])-1:]
		next = n + 1
	}
	return out
}

// TestEnglishTakesTheSameArguments: an English format reads the same
// arguments with the same verbs as its Chinese one.
func TestEnglishTakesTheSameArguments(t *testing.T) {
	for code, formats := range english {
		for zh, en := range formats {
			if !same(verbs(zh), verbs(en)) {
				t.Errorf("%s %q: English %q reads other arguments (%v, want %v)", code, zh, en, verbs(en), verbs(zh))
			}
			if chinese(en) {
				t.Errorf("%s %q: the English %q holds Chinese", code, zh, en)
			}
		}
	}
}

func same(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEveryCodeIsListedAndUsed: each constant is a code of error.code or of
// field_codes (or both), is named by code outside this package, and is
// documented in docs/api.md.
func TestEveryCodeIsListedAndUsed(t *testing.T) {
	var all strings.Builder
	sources(t, func(_ string, src []byte) { all.Write(src) })
	api, err := os.ReadFile(filepath.Join(root, "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, code := range declared() {
		if !slices.Contains(Requests, code) && !slices.Contains(Fields, code) {
			t.Errorf("%s (%q) is in neither Requests nor Fields", name, code)
		}
		if !strings.Contains(all.String(), "errcode."+name) {
			t.Errorf("%s (%q) is named nowhere outside errcode", name, code)
		}
		if !strings.Contains(string(api), "`"+string(code)+"`") {
			t.Errorf("%s (%q) is not in docs/api.md", name, code)
		}
	}
	for _, list := range [][]Code{Requests, Fields} {
		for _, code := range list {
			if !slices.Contains(slices.Collect(maps.Values(declared())), code) {
				t.Errorf("%q is listed but not declared", code)
			}
		}
	}
}
