package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A field added to a shipped entity's YAML appears in its list, form and
// record page on the next start, with no other change: no form, template or
// code names it.
func TestFieldAddedToDefinitionAppearsAfterRestart(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dir := enginetest.CopyDir(t, shippedDir)
		db := enginetest.OpenDB(t, d)
		ctx := context.Background()

		first, err := engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		s := serve(t, first)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		b := s.browser(t)
		b.login("clerk")
		before := b.post("/ui/indicator/indicator/new", indicatorForm("500.00"))
		if before.status != http.StatusSeeOther {
			t.Fatalf("create before the change: %d %s", before.status, excerpt(before.body))
		}
		b.get("/ui/indicator/indicator/new").lacks(t, "form before the change", "联系电话")

		// The implementer adds one line to entities.yaml and restarts.
		path := filepath.Join(dir, "indicator", "entities.yaml")
		yaml, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		anchor := "      remark:       {type: text, label: 备注, label_en: Remarks}\n"
		if !strings.Contains(string(yaml), anchor) {
			t.Fatalf("indicator/entities.yaml no longer has the line %q this test adds a field after", anchor)
		}
		added := anchor + "      contact_phone: {type: string, label: 联系电话, label_en: Contact phone, max_length: 20, help: 经办人联系电话}\n"
		if err := os.WriteFile(path, []byte(strings.Replace(string(yaml), anchor, added, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		second, err := engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatalf("restart with the added field: %v", err)
		}
		s = serve(t, second)
		b = s.browser(t)
		b.login("clerk")

		b.get("/ui/indicator/indicator/new").want(t, "form after the change", 200, `name="contact_phone"`, "联系电话", "经办人联系电话")
		form := indicatorForm("600.00")
		form.Set("contact_phone", "028-86000000")
		created := b.post("/ui/indicator/indicator/new", form)
		if created.status != http.StatusSeeOther {
			t.Fatalf("create with the new field: %d %s", created.status, excerpt(created.body))
		}
		b.get(created.location).want(t, "record page after the change", 200, "联系电话", "028-86000000")
		b.get(before.location).want(t, "older record after the change", 200, "联系电话")
		b.get("/ui/indicator/indicator?"+url.Values{"sort": {"-id"}}.Encode()).want(t, "list after the change", 200, "联系电话", "028-86000000")
		b.get("/ui/indicator/indicator?lang=en").want(t, "list in English", 200, "Contact phone")
	})
}
