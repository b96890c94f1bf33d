package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// validateChunk is how many rows a validating goroutine checks at a time.
const validateChunk = 128

// rowValidation is the checking of an import's rows (importRecord), on
// every CPU, a chunk of rows at a time, the chunks taken in file order: the
// COPY of a clean file (import_copy.go) sends the first rows while later
// ones are still being checked, and stops at the first refused row.
type rowValidation struct {
	records []*Record          // records[i] once chunk i/validateChunk is checked; nil when refused
	refused []*ValidationError // why row i was refused
	chunks  []chan struct{}    // closed as each chunk is checked
	done    chan struct{}      // closed when every chunk is
	bad     atomic.Bool        // a row was refused
	stop    atomic.Bool        // the checks failed

	mu  sync.Mutex
	err error // what stopped the checks: the database failed
}

// validateRows starts checking rows (the data rows of the file, whose
// columns are fields) as creates of e by actor.
func (rt *Runtime) validateRows(ctx context.Context, actor Actor, e *metamodel.Entity, fields []*metamodel.Field, rows []importRow, format string) *rowValidation {
	n := len(rows)
	v := &rowValidation{
		records: make([]*Record, n),
		refused: make([]*ValidationError, n),
		chunks:  make([]chan struct{}, (n+validateChunk-1)/validateChunk),
		done:    make(chan struct{}),
	}
	for c := range v.chunks {
		v.chunks[c] = make(chan struct{})
	}
	writable := rt.writable(actor, e)
	now := rt.now().UTC().Truncate(time.Microsecond)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(v.chunks))) {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= len(v.chunks) {
					return
				}
				for i := c * validateChunk; i < min(n, (c+1)*validateChunk) && !v.failed(); i++ {
					rec, verr, err := rt.importRecord(ctx, actor, e, fields, rows[i].cells, format, writable, now)
					if err != nil {
						v.fail(err)
						break
					}
					v.records[i], v.refused[i] = rec, verr
					if verr != nil {
						v.bad.Store(true)
					}
				}
				close(v.chunks[c])
				// The import's transaction runs beside the workers: its
				// round trips and the COPY's writes wait for a CPU they
				// hold. Without yielding, each waited for the scheduler to
				// preempt a worker (every 10 ms), and the BEGIN and the id
				// query alone took up to 30 ms of a 200 ms import.
				runtime.Gosched()
			}
		})
	}
	go func() {
		wg.Wait()
		close(v.done)
	}()
	return v
}

func (v *rowValidation) fail(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err == nil {
		v.err = err
	}
	v.stop.Store(true)
}

func (v *rowValidation) failed() bool { return v.stop.Load() }

// chunk waits until chunk c is checked and returns its rows' range.
func (v *rowValidation) chunk(c int) (lo, hi int) {
	<-v.chunks[c]
	return c * validateChunk, min(len(v.records), (c+1)*validateChunk)
}

// wait waits until every row is checked and returns what stopped the checks.
func (v *rowValidation) wait() error {
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}
