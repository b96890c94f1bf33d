package metamodel

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestParseSize(t *testing.T) {
	scenarios := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10485760", 10485760, true},
		{"10MB", 10 << 20, true},
		{"10 mb", 10 << 20, true},
		{"512KB", 512 << 10, true},
		{"512KiB", 512 << 10, true},
		{"1GB", 1 << 30, true},
		{"100B", 100, true},
		{"1.5MB", 0, false},
		{"10 apples", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, sc := range scenarios {
		got, ok := ParseSize(sc.in)
		if got != sc.want || ok != sc.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", sc.in, got, ok, sc.want, sc.ok)
		}
	}
}

func TestFileFieldSettings(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "exports_schedules"))
	if err != nil {
		t.Fatal(err)
	}
	memo := p.App("pay").Entity("batch").Field("memo")
	if FileMaxSize(memo) != 5<<20 || !slices.Equal(FileTypes(memo), []string{"pdf", "image/*"}) {
		t.Fatalf("max %d, types %v", FileMaxSize(memo), FileTypes(memo))
	}
	if size, has := MaxUploadSize(p); size != 5<<20 || !has {
		t.Errorf("MaxUploadSize = %d, %v", size, has)
	}
	allowed := []struct {
		name, contentType string
		want              bool
	}{
		{"a.pdf", "application/pdf", true},
		{"A.PDF", "application/octet-stream", true},
		{"scan.jpeg", "image/jpeg", true},
		{"scan.webp", "image/webp; charset=binary", true},
		{"sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
		{"notes.txt", "text/plain", false},
		{"noext", "", false},
	}
	for _, sc := range allowed {
		if got := FileTypeAllowed(memo, sc.name, sc.contentType); got != sc.want {
			t.Errorf("FileTypeAllowed(%q, %q) = %v", sc.name, sc.contentType, got)
		}
	}
	if !FileTypeAllowed(&Field{Type: "file", Settings: &fileSettings{}}, "x.anything", "") {
		t.Error("a field without types refuses a file")
	}
}

func TestExportsAndSchedulesResolve(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "exports_schedules"))
	if err != nil {
		t.Fatal(err)
	}
	a := p.App("pay")
	x := a.Export("bank_file")
	if x == nil || x.Target != a.Entity("batch") || x.Lines.Target != a.Entity("line") || x.Lines.ViaRef != a.Entity("line").Field("batch") {
		t.Fatalf("export %+v", x)
	}
	if !slices.Equal(x.LineFieldsUsed, []string{"account_no", "name", "net"}) || !slices.Equal(x.RecordFieldsUsed, []string{"month", "net_total"}) {
		t.Errorf("fields used: line %v, record %v", x.LineFieldsUsed, x.RecordFieldsUsed)
	}
	if x.Total.EqualsField != a.Entity("batch").Field("net_total") || x.FilenameProgram == nil || x.Columns[2].Program == nil {
		t.Error("total, filename or columns not compiled")
	}
	s := a.Schedule("unpaid")
	if s == nil || s.Interval.Hours() != 24 || s.Target != a.Entity("line") || s.Create.Target != a.Entity("warning") || s.WhenProgram == nil {
		t.Fatalf("schedule %+v", s)
	}
	if len(s.Create.SetPrograms) != 3 || !slices.Equal(s.Create.Params, []string{"line"}) || s.QualifiedName() != "pay.unpaid" {
		t.Errorf("set %v, params %v", s.Create.SetPrograms, s.Create.Params)
	}
}

func TestFilterParams(t *testing.T) {
	scenarios := map[string][]string{
		"allocation = $allocation and rule = 'idle' and state != 'closed'": {"allocation"},
		"a = $b or c = $b or d in ($e, 'x')":                               {"b", "e"},
		`note = '$not_a_param' and x = "also $not" and y = $y`:             {"y"},
		"no params here": nil,
	}
	for src, want := range scenarios {
		if got := FilterParams(src); !slices.Equal(got, want) {
			t.Errorf("FilterParams(%q) = %v, want %v", src, got, want)
		}
	}
}
