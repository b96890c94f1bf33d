package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

func init() {
	register(command{name: "files", summary: "housekeeping of uploaded files: sweep deletes uploads no record ever held (--older-than 24h)", run: runFiles})
}

// runFiles is growth files sweep: what growth serve does every hour, for a
// server run without it or a clean-up now.
func runFiles(args []string) int {
	if len(args) == 0 || args[0] != "sweep" {
		fmt.Fprintln(os.Stderr, "usage: growth files sweep [--older-than 24h] [--db …] [--definitions DIR]")
		return 2
	}
	fs := flag.NewFlagSet("files sweep", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	age := fs.Duration("older-than", engine.DefaultUnattachedFileAge, "delete unattached uploads older than this")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth files sweep [--older-than 24h] [--db …] [--definitions DIR]")
		fmt.Fprintln(fs.Output(), "Deletes the uploaded files that no record has ever held and that are older than --older-than, each with an audit row.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *age <= 0 {
		fmt.Fprintln(os.Stderr, "growth files sweep: --older-than must be positive")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rt, closeDB, err := startRuntime(ctx, &dbf)
	if err != nil {
		return fail("files sweep", err)
	}
	defer closeDB()
	swept, err := rt.SweepFiles(ctx, *age)
	if err != nil {
		return fail("files sweep", err)
	}
	var bytes int64
	for _, f := range swept {
		bytes += f.Size
		fmt.Printf("deleted #%d %s (%s, uploaded by %s)\n", f.ID, f.Name, engine.FormatSize(f.Size), f.CreatedBy)
	}
	fmt.Printf("ok: swept %d unattached uploads older than %s, %s\n", len(swept), *age, engine.FormatSize(bytes))
	return 0
}

// fileFlags are serve's settings of uploads.
type fileFlags struct {
	quota int64
	age   time.Duration
}

// registerFileFlags adds --upload-quota and --sweep-files-after to fs and
// returns what resolves them (a flag wins over its environment variable)
// once fs is parsed.
func registerFileFlags(fs *flag.FlagSet) func(getenv func(string) string) (fileFlags, error) {
	quota := fs.String("upload-quota", "", "what one user's uploads that no record holds yet may add up to, such as 100MB; at least the largest max_size of the file fields (env GROWTH_UPLOAD_QUOTA; default 100MB)")
	age := fs.Duration("sweep-files-after", engine.DefaultUnattachedFileAge, "delete uploads no record has held once this old; swept every hour (env GROWTH_SWEEP_FILES_AFTER)")
	return func(getenv func(string) string) (fileFlags, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		out := fileFlags{quota: engine.DefaultUploadQuota, age: *age}
		q := *quota
		if env := getenv("GROWTH_UPLOAD_QUOTA"); env != "" && !given["upload-quota"] {
			q = env
		}
		if q != "" {
			n, ok := metamodel.ParseSize(q)
			if !ok || n <= 0 {
				return out, fmt.Errorf("upload quota %q: want a size such as 100MB", q)
			}
			out.quota = n
		}
		if env := getenv("GROWTH_SWEEP_FILES_AFTER"); env != "" && !given["sweep-files-after"] {
			d, err := time.ParseDuration(env)
			if err != nil {
				return out, fmt.Errorf("GROWTH_SWEEP_FILES_AFTER=%q: want a duration such as 24h", env)
			}
			out.age = d
		}
		if out.age < time.Minute {
			return out, fmt.Errorf("sweep-files-after %s: want at least 1m", out.age)
		}
		return out, nil
	}
}
