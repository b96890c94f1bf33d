package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "import", summary: "import a CSV or Excel file into an entity, all or nothing", run: runImport})
}

func runImport(args []string) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	format := fs.String("format", "", "csv or xlsx (default: from the file name)")
	user := fs.String("user", engine.SystemActor.User, "the user the records are created by")
	maxRows := fs.Int("max-rows", engine.DefaultImportLimits.Rows, "refuse a file with more data rows than this (docs/import.md)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth import [flags] APP ENTITY FILE")
		fmt.Fprintln(fs.Output(), "The first row names the fields (name or label). Every row is checked like an API create;")
		fmt.Fprintln(fs.Output(), "if any row is bad, nothing is imported and every bad row is listed.")
		fs.PrintDefaults()
	}
	pos, err := importArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 3 {
		fs.Usage()
		return 2
	}
	app, entity, path := pos[0], pos[1], pos[2]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rt, closeDB, err := startRuntime(ctx, &dbf)
	if err != nil {
		return fail("import", err)
	}
	defer closeDB()
	rt.ImportLimits.Rows = *maxRows
	f, err := os.Open(path)
	if err != nil {
		return fail("import", err)
	}
	defer f.Close()
	if *format == "" {
		*format = engine.ImportFormat(path)
	}
	actor := engine.SystemActor
	actor.User = *user
	bar := newProgress(os.Stderr, path)
	report, err := rt.Import(ctx, actor, app, entity, f, *format, bar.update)
	bar.done()
	return printImport(os.Stdout, app, entity, report, err)
}

// printImport reports an import's outcome; exit status 1 when nothing was imported.
func printImport(w io.Writer, app, entity string, report *engine.ImportReport, err error) int {
	var rejected *engine.ImportRejectedError
	if errors.As(err, &rejected) {
		fmt.Fprintf(w, "REJECTED: nothing imported into %s.%s; %d of %d rows are bad:\n", app, entity, len(report.Errors), report.Total)
		for _, e := range report.Errors {
			var names []string
			for n := range e.Fields {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				for _, fe := range e.Fields[n] {
					where := n
					if n == engine.RecordField || n == engine.FileField {
						where = ""
					} else {
						where += ": "
					}
					fmt.Fprintf(w, "  line %d: %s%s\n", e.Line, where, fe.Message)
				}
			}
		}
		return 1
	}
	if err != nil {
		return fail("import", err)
	}
	how := report.Method
	if report.Why != "" {
		how += ": " + report.Why
	}
	fmt.Fprintf(w, "ok: imported %d records into %s.%s (%s)\n", report.Imported, app, entity, how)
	return 0
}

// progress shows how far an import is: a bar redrawn in place on a terminal,
// a plain line every tenth otherwise (logs, CI).
type progress struct {
	w        io.Writer
	what     string
	terminal bool
	started  time.Time
	lastDraw time.Time
	lastTen  int
	total    int
	shown    bool
}

func newProgress(w *os.File, what string) *progress {
	fi, err := w.Stat()
	return &progress{w: w, what: what, terminal: err == nil && fi.Mode()&os.ModeCharDevice != 0, started: time.Now()}
}

func (p *progress) update(done, total int) {
	p.total = total
	if total == 0 {
		return
	}
	if !p.terminal {
		if ten := done * 10 / total; ten > p.lastTen || done == total {
			p.lastTen = ten
			fmt.Fprintf(p.w, "%s: %d/%d rows (%d%%)\n", p.what, done, total, done*100/total)
		}
		return
	}
	if now := time.Now(); done < total && now.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	} else {
		p.lastDraw = now
	}
	const width = 30
	filled := done * width / total
	rate := float64(done) / time.Since(p.started).Seconds()
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d rows, %.0f rows/s", p.what, strings.Repeat("█", filled), strings.Repeat("░", width-filled), done*100/total, done, total, rate)
	p.shown = true
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// importArgs parses flags given before, between or after the
// positional arguments, and returns the positional ones.
func importArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// startRuntime loads the definitions and starts a runtime on the database,
// as serve does (migrations and additive schema changes first).
func startRuntime(ctx context.Context, dbf *dbFlags) (*engine.Runtime, func(), error) {
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return nil, nil, err
	}
	access, err := roleAccess(p)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(ctx, dbf)
	if err != nil {
		return nil, nil, err
	}
	rt, err := engine.Start(ctx, db, p, engine.StartOptions{Access: access, Logger: newLogger(io.Discard)})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	// An event in an _events column may produce an exchange message: it is
	// signed with our key from the data folder, and sent by growth serve.
	rt.SetExchangeKeys(keyStore("", dataDir("", dbf.dsn())))
	return rt, func() { db.Close() }, nil
}
