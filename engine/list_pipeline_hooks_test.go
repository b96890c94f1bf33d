package engine

import (
	"context"
	"fmt"
)

// PipelinedPage runs `selectSQL + where ORDER BY id DESC` for one page of
// size through the list pipeline (list_pipeline.go), for
// list_pipeline_test.go.
func PipelinedPage(ctx context.Context, rt *Runtime, app, entity, where string, args []any, size int) ([]*Record, bool, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, false, err
	}
	return rt.DB.pipelinedPage(ctx, s, s.selectSQL+where+` ORDER BY "id" DESC`+firstPageLimit(size), args, size)
}

// AlonePage runs the same query as PipelinedPage on its own.
func AlonePage(ctx context.Context, rt *Runtime, app, entity, where string, args []any, size int) ([]*Record, bool, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, false, err
	}
	return rt.page(ctx, s, s.selectSQL+where+` ORDER BY "id" DESC`+firstPageLimit(size), args, size)
}

// PipelineQuery is one page's WHERE clause and arguments.
type PipelineQuery struct {
	Where string
	Args  []any
}

// PipelineResult is what one PipelineQuery got in a pipeline.
type PipelineResult struct {
	Records []*Record
	More    bool
	Err     error
}

// SendTogether sends the pages of qs in one pipeline, in that order.
func SendTogether(rt *Runtime, app, entity string, size int, qs ...PipelineQuery) ([]PipelineResult, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	batch := make([]*listCall, len(qs))
	for i, q := range qs {
		batch[i] = &listCall{sql: s.selectSQL + q.Where + ` ORDER BY "id" DESC` + firstPageLimit(size), args: q.Args, size: size, done: make(chan struct{})}
	}
	rt.DB.sendLists(batch)
	out := make([]PipelineResult, len(qs))
	for i, c := range batch {
		<-c.done
		out[i].Err = c.err
		if c.err == nil {
			out[i].Records, out[i].Err = c.page.records(s)
			out[i].More = c.page.more
		}
	}
	return out, nil
}

// PipelinePageDecoder reads one page of size through a pipeline and returns
// a function that turns its rows into records again, the way the pipeline
// does (direct) or through entityStore.scan (as before the direct path),
// for BenchmarkListPipelineRecords.
func PipelinePageDecoder(rt *Runtime, app, entity string, size int) (func(direct bool) ([]*Record, error), error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	c := &listCall{sql: s.selectSQL + ` ORDER BY "id" DESC` + firstPageLimit(size), size: size, done: make(chan struct{})}
	rt.DB.sendLists([]*listCall{c})
	<-c.done
	if c.err != nil {
		return nil, c.err
	}
	if !c.page.direct(s) {
		oids := []uint32{}
		for _, f := range c.page.fields {
			oids = append(oids, f.DataTypeOID)
		}
		return nil, fmt.Errorf("not direct: %v state %v", oids, s.hasState)
	}
	return func(direct bool) ([]*Record, error) {
		return c.page.recordsBy(s, direct)
	}, nil
}
