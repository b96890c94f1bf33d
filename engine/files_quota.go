package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Uploads are stored before any record holds them (POST /api/files, then a
// record's file field names the id). So that this is no free disk for
// anyone logged in:
//
//   - only a user who may write some file field uploads (MayUpload): create
//     or update on an entity with a file field the user may write, or a
//     workflow event the user may fire that takes a file field as input;
//   - what a user uploaded and no record has held yet (unattached) is capped
//     per user (UploadQuota);
//   - unattached files older than a day are deleted (SweepFiles: growth files
//     sweep, and growth serve every hour).
//
// A file counts as attached from the first time a record field holds it
// (growth_files.attached_at), and stays so when the field later holds
// another file: the record's history still names it.

// DefaultUploadQuota is what one user's unattached uploads may add up to,
// unless the runtime sets UploadQuota; it is raised to the largest max_size
// of the project's file fields when that is larger, so that one file always
// fits.
const DefaultUploadQuota = 100 << 20

// DefaultUnattachedFileAge is how old an unattached upload gets before
// SweepFiles deletes it.
const DefaultUnattachedFileAge = 24 * time.Hour

// uploadQuota is the quota in force.
func (rt *Runtime) uploadQuota() int64 {
	q := rt.UploadQuota
	if q <= 0 {
		q = DefaultUploadQuota
	}
	return max(q, rt.MaxUploadSize())
}

// MayUpload reports whether actor may write a file field of some entity,
// and so may upload files.
func (rt *Runtime) MayUpload(actor Actor) bool {
	if isSystem(actor) {
		return true
	}
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			if !rt.Access.Can(actor, e, "create") && !rt.Access.Can(actor, e, "update") {
				continue
			}
			writable := rt.writable(actor, e)
			for _, f := range e.Fields {
				if f.Is(metamodel.Attachment) && writable(f) {
					return true
				}
			}
		}
		for _, w := range a.Workflows {
			e := w.Target
			if e == nil {
				continue
			}
			for _, t := range w.Transitions {
				if !rt.Access.Can(actor, e, t.Event) {
					continue
				}
				if slices.ContainsFunc(t.Input, func(name string) bool {
					f := e.Field(name)
					return f != nil && f.Is(metamodel.Attachment) && !rt.Access.Hidden(actor, e, name)
				}) {
					return true
				}
			}
		}
	}
	return false
}

// checkUploadQuota refuses an upload of size bytes that would take the
// actor's unattached uploads over the quota; inside the upload's
// transaction, after the actor's uploads are serialised (PostgreSQL: an
// advisory lock; SQLite: one writer).
func (rt *Runtime) checkUploadQuota(ctx context.Context, tx *sql.Tx, actor Actor, name string, size int64) error {
	db := rt.DB
	if db.Dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "growth-upload:"+actor.User); err != nil {
			return fmt.Errorf("upload quota: %w", err)
		}
	}
	var used int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM growth_files WHERE created_by = `+db.Placeholder(1)+` AND attached_at IS NULL`,
		actor.User).Scan(&used); err != nil {
		return fmt.Errorf("upload quota: %w", err)
	}
	if quota := rt.uploadQuota(); used+size > quota {
		return fileError(errcode.Quota, "您已上传但尚未用于任何记录的文件共 %s，再上传“%s”（%s）将超过每人 %s 的上限；请先把已上传的文件填入记录并保存，未使用的文件 %s 后自动清除",
			FormatSize(used), name, FormatSize(size), FormatSize(quota), formatAge(DefaultUnattachedFileAge))
	}
	return nil
}

func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d 小时", d/time.Hour)
	}
	return d.String()
}

// markAttached records that a record field holds file id, the first time.
func (rt *Runtime) markAttached(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	ph := rt.DB.Placeholder
	if _, err := tx.ExecContext(ctx, `UPDATE growth_files SET attached_at = `+ph(1)+` WHERE id = `+ph(2)+` AND attached_at IS NULL`, rt.DB.timeArg(at), id); err != nil {
		return fmt.Errorf("file refs: %w", err)
	}
	return nil
}

// SweptFile is a file SweepFiles deleted.
type SweptFile struct {
	ID        int64
	Name      string
	Size      int64
	CreatedBy string
}

// SweepFiles deletes the uploads no record has ever held that are older than
// age (DefaultUnattachedFileAge when 0), each with an audit row, and returns
// them.
func (rt *Runtime) SweepFiles(ctx context.Context, age time.Duration) ([]SweptFile, error) {
	if age <= 0 {
		age = DefaultUnattachedFileAge
	}
	db := rt.DB
	ph := db.Placeholder
	now := rt.now().UTC().Truncate(time.Microsecond)
	var swept []SweptFile
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		swept = swept[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id, name, size, created_by FROM growth_files f WHERE attached_at IS NULL AND created_at < `+ph(1)+
			` AND NOT EXISTS (SELECT 1 FROM growth_file_refs r WHERE r.file_id = f.id) ORDER BY id`, db.timeArg(now.Add(-age)))
		if err != nil {
			return fmt.Errorf("sweeping files: %w", err)
		}
		for rows.Next() {
			var f SweptFile
			if err := rows.Scan(&f.ID, &f.Name, &f.Size, &f.CreatedBy); err != nil {
				rows.Close()
				return fmt.Errorf("sweeping files: %w", err)
			}
			swept = append(swept, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sweeping files: %w", err)
		}
		for _, f := range swept {
			if _, err := tx.ExecContext(ctx, `DELETE FROM growth_files WHERE id = `+ph(1)+` AND attached_at IS NULL`, f.ID); err != nil {
				return fmt.Errorf("sweeping files: %w", err)
			}
			if err := db.appendAudit(ctx, tx, AuditEntry{App: fileAuditApp, Entity: fileAuditEntity, RecordID: f.ID, Action: "sweep", Actor: SystemActor.User, At: now,
				Changes:    map[string][2]any{"name": {f.Name, nil}, "size": {f.Size, nil}, "created_by": {f.CreatedBy, nil}},
				DefVersion: rt.Project.Hash}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return swept, nil
}

// ServeFileSweep sweeps unattached uploads every interval (an hour when 0)
// until ctx ends, logging what it deleted; the returned function waits for a
// sweep in progress.
func (rt *Runtime) ServeFileSweep(ctx context.Context, interval, age time.Duration) (wait func()) {
	if interval <= 0 {
		interval = time.Hour
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			swept, err := rt.SweepFiles(ctx, age)
			switch {
			case err != nil && ctx.Err() == nil:
				rt.Log.Error("sweeping unattached uploads", "error", err.Error())
			case len(swept) > 0:
				var bytes int64
				for _, f := range swept {
					bytes += f.Size
				}
				rt.Log.Info("swept unattached uploads", "files", len(swept), "bytes", bytes)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { <-done }
}
