package metamodel

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	fullOnce    sync.Once
	fullProject *Project
	fullErr     error
)

// loadFull loads testdata/valid/full once for the tests that read it.
func loadFull(t *testing.T) *Project {
	t.Helper()
	fullOnce.Do(func() { fullProject, fullErr = Load(filepath.Join("testdata", "valid", "full")) })
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return fullProject
}

func codeSet(t *testing.T, p *Project, name string) *CodeSet {
	t.Helper()
	cs := p.CodeSet(name)
	if cs == nil {
		t.Fatalf("no code set %s", name)
	}
	return cs
}

// TestCheckCode checks the rule "records may only use enabled leaf codes valid
// for their year", in a national set and in an extension's view of it.
func TestCheckCode(t *testing.T) {
	p := loadFull(t)
	scenarios := []struct {
		name     string
		set      string
		code     string
		year     int
		leafOnly bool
		want     error
	}{
		{"leaf valid", "func_class", "2050201", 2026, true, nil},
		{"unknown code", "func_class", "999", 2026, false, ErrUnknownCode},
		{"disabled code", "func_class", "2050299", 2026, false, ErrCodeDisabled},
		{"after the code's valid_to", "func_class", "2050202", 2025, false, ErrCodeNotValid},
		{"in the code's last year", "func_class", "2050202", 2024, false, nil},
		{"before the set's valid_from", "func_class", "2050201", 2019, false, ErrCodeNotValid},
		{"any year", "func_class", "2050202", 0, false, nil},
		{"branch where a leaf is due", "func_class", "20502", 2026, true, ErrCodeNotLeaf},
		{"branch where any code will do", "func_class", "20502", 2026, false, nil},
		{"extension code unknown to the national set", "func_class", "2050291", 2026, true, ErrUnknownCode},
		{"extension code in the extension", "func_class_sc", "2050291", 2026, true, nil},
		{"national code through the extension", "func_class_sc", "2050201", 2026, true, nil},
		{"national disabled code through the extension", "func_class_sc", "2050299", 2026, false, ErrCodeDisabled},
		{"national validity through the extension", "func_class_sc", "2050202", 2025, false, ErrCodeNotValid},
		{"national leaf", "fund_nature", "3", 2026, true, nil},
		{"national leaf is a branch in the extension", "fund_nature_sc", "3", 2026, true, ErrCodeNotLeaf},
		{"code added under a national leaf", "fund_nature_sc", "31", 2026, true, nil},
		{"CSV valid_from", "gov_econ", "50101", 2019, false, ErrCodeNotValid},
		{"CSV enabled false", "gov_econ", "50199", 2021, false, ErrCodeDisabled},
		{"CSV code", "gov_econ", "50101", 2026, true, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := codeSet(t, p, sc.set).CheckCode(sc.code, sc.year, sc.leafOnly)
			if !errors.Is(err, sc.want) || (sc.want == nil) != (err == nil) {
				t.Fatalf("want %v, got %v", sc.want, err)
			}
			if err != nil && !strings.Contains(err.Error(), sc.code) {
				t.Fatalf("message %q does not name the code", err)
			}
		})
	}
}

// TestExtensionView checks that an extension sees its own copy of the base
// tree: a code added under a base leaf makes it a branch in the extension
// only, and the national set is untouched.
func TestExtensionView(t *testing.T) {
	p := loadFull(t)
	base, ext := codeSet(t, p, "fund_nature"), codeSet(t, p, "fund_nature_sc")
	if ext.Base != base {
		t.Fatalf("extension base = %v, want fund_nature", ext.Base)
	}
	scenarios := []struct {
		name string
		ok   bool
	}{
		{"base leaf stays a leaf in the base", base.Lookup("3").Leaf()},
		{"base leaf is a branch in the extension", !ext.Lookup("3").Leaf()},
		{"added code is a child in the extension", len(ext.Lookup("3").Children) == 1 && ext.Lookup("3").Children[0].Code.Code == "31"},
		{"added code is unknown to the base", base.Lookup("31") == nil},
		{"added code is at level 2", ext.Lookup("31").Level == 2},
		{"added code is not national", !ext.Lookup("31").National() && ext.Lookup("31").Set == ext},
		{"base code is national in the extension", ext.Lookup("3").National() && ext.Lookup("3").Set == base},
		{"the extension counts base and own codes", base.Len() == 3 && ext.Len() == 4},
		{"the extension has the base's roots", len(ext.Roots()) == len(base.Roots())},
		{"base nodes are not shared", base.Lookup("1") != ext.Lookup("1") && base.Lookup("1").Code == ext.Lookup("1").Code},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if !sc.ok {
				t.Fail()
			}
		})
	}
}

// TestSubtree checks Subtree returns a code and its descendants in tree order.
func TestSubtree(t *testing.T) {
	p := loadFull(t)
	scenarios := []struct {
		name, set, code string
		want            []string
	}{
		{"branch", "func_class", "20502", []string{"20502", "2050201", "2050202", "2050299"}},
		{"root", "func_class", "205", []string{"205", "20502", "2050201", "2050202", "2050299"}},
		{"leaf", "func_class", "2050201", []string{"2050201"}},
		{"extension adds its codes", "func_class_sc", "20502", []string{"20502", "2050201", "2050202", "2050299", "2050291"}},
		{"unknown code", "func_class", "999", nil},
		{"agency subtree", "agency", "102", []string{"102", "102001"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if got := codeSet(t, p, sc.set).Subtree(sc.code); !slices.Equal(got, sc.want) {
				t.Fatalf("want %v, got %v", sc.want, got)
			}
		})
	}
}

// TestCodeAttributes checks attributes read from a CSV column, and the walk order.
func TestCodeAttributes(t *testing.T) {
	p := loadFull(t)
	dept := codeSet(t, p, "dept_econ")
	if got := dept.Lookup("30101").Attrs["gov_econ"]; got != "50101" {
		t.Fatalf("30101 maps to %q, want 50101", got)
	}
	if dept.Lookup("301").Attrs != nil {
		t.Fatalf("301 has attributes %v, want none", dept.Lookup("301").Attrs)
	}
	var order []string
	codeSet(t, p, "agency").Walk(func(n *CodeNode) { order = append(order, n.Code.Code) })
	if want := []string{"101", "101001", "102", "102001"}; !slices.Equal(order, want) {
		t.Fatalf("walk order %v, want %v", order, want)
	}
	if got := codeSet(t, p, "agency").Label(); got != "预算单位" {
		t.Fatalf("label %q", got)
	}
}
