package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

func TestFilesSweepCommand(t *testing.T) {
	defs := enginetest.WriteDefinitions(t, map[string]string{"att/app.yaml": `
app: att
entities:
  claim:
    fields:
      invoice: {type: file, types: [pdf]}
`})
	db := "sqlite:" + filepath.Join(t.TempDir(), "growth.db")
	ctx := context.Background()
	database, err := engine.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := engine.Start(ctx, database, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	old := enginetest.Must(rt.UploadFile(ctx, engine.SystemActor, "old.pdf", "", pdf))
	enginetest.Must(rt.UploadFile(ctx, engine.SystemActor, "new.pdf", "", pdf))
	attached := enginetest.Must(rt.UploadFile(ctx, engine.SystemActor, "kept.pdf", "", pdf))
	if _, err := rt.Create(ctx, engine.SystemActor, "att", "claim", map[string]any{"invoice": attached.ID}); err != nil {
		t.Fatal(err)
	}
	// Two of them uploaded two days ago.
	twoDaysAgo := time.Now().UTC().Add(-48 * time.Hour).Format("2006-01-02T15:04:05.000000Z")
	if _, err := database.Write.Exec(`UPDATE growth_files SET created_at = ? WHERE id IN (?, ?)`, twoDaysAgo, old.ID, attached.ID); err != nil {
		t.Fatal(err)
	}
	database.Close()

	code, out := run(t, runFiles, "sweep", "--db", db, "--definitions", defs)
	if code != 0 || !strings.Contains(out, "deleted #1 old.pdf") || !strings.Contains(out, "ok: swept 1 unattached uploads older than 24h0m0s") {
		t.Fatalf("exit %d: %s", code, out)
	}
	code, out = run(t, runFiles, "sweep", "--db", db, "--definitions", defs)
	if code != 0 || !strings.Contains(out, "ok: swept 0 unattached uploads") {
		t.Fatalf("second sweep, exit %d: %s", code, out)
	}
	if code, _ := run(t, runFiles, "clean"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

func TestFileSettings(t *testing.T) {
	for _, sc := range []struct {
		name    string
		args    []string
		env     map[string]string
		quota   int64
		age     time.Duration
		wantErr bool
	}{
		{name: "defaults", quota: 100 << 20, age: 24 * time.Hour},
		{name: "flags", args: []string{"--upload-quota", "20MB", "--sweep-files-after", "2h"}, quota: 20 << 20, age: 2 * time.Hour},
		{name: "environment", env: map[string]string{"GROWTH_UPLOAD_QUOTA": "1GB", "GROWTH_SWEEP_FILES_AFTER": "72h"}, quota: 1 << 30, age: 72 * time.Hour},
		{name: "a flag wins", args: []string{"--upload-quota", "5MB"}, env: map[string]string{"GROWTH_UPLOAD_QUOTA": "1GB"}, quota: 5 << 20, age: 24 * time.Hour},
		{name: "not a size", env: map[string]string{"GROWTH_UPLOAD_QUOTA": "lots"}, wantErr: true},
		{name: "too soon", args: []string{"--sweep-files-after", "10s"}, wantErr: true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			resolve := registerFileFlags(fs)
			if err := fs.Parse(sc.args); err != nil {
				t.Fatal(err)
			}
			got, err := resolve(func(k string) string { return sc.env[k] })
			if sc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil || got.quota != sc.quota || got.age != sc.age {
				t.Errorf("got %+v, %v; want quota %d, age %s", got, err, sc.quota, sc.age)
			}
		})
	}
}
