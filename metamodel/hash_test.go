package metamodel

import (
	"os"
	"path/filepath"
	"testing"
)

// A definition version covers the CSV code lists too: changing one code in a
// CSV gives a new hash, and the CSV's text is stored with the YAML.
func TestHashCoversCSV(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "a")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(app, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app.yaml", "app: a\ntitle: A\ncodesets:\n  kind:\n    title: 类\n    csv: kind.csv\nentities:\n  e:\n    fields:\n      k: {type: code, codeset: kind}\n")
	write("kind.csv", "code,name,parent\n1,一,\n")
	p1, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(p1.Files["a/kind.csv"]) != "code,name,parent\n1,一,\n" {
		t.Fatalf("stored files: %v", p1.Files)
	}
	write("kind.csv", "code,name,parent\n1,壹,\n")
	p2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Hash == p2.Hash {
		t.Fatal("a changed CSV left the definition hash unchanged")
	}
}
