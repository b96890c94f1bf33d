package apps

import (
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// The record API writes its answers (list, get, create, update) with an
// engine.RecordEncoder straight into a buffer: the same bytes encoding/json
// gives for the map recordJSON renders (record_json_test.go compares them),
// without building a map per record and sorting its keys.

// sendRecord answers rec, rendered for actor, with status.
func (s *Server) sendRecord(c *fiber.Ctx, status int, actor engine.Actor, e *metamodel.Entity, rec *engine.Record) error {
	enc := s.rt.RecordEncoder(actor, e)
	files, err := s.recordFiles(c, enc, rec)
	if err != nil {
		return err
	}
	buf := answerBuffer()
	defer buf.free()
	if buf.b, err = enc.Append(buf.b, rec, files); err != nil {
		return err
	}
	sendJSON(c, status, buf.b)
	return nil
}

// recordFiles reads the descriptions of the files recs hold in the fields
// enc writes; nil when the entity has no file fields.
func (s *Server) recordFiles(c *fiber.Ctx, enc *engine.RecordEncoder, recs ...*engine.Record) (map[int64]*engine.FileInfo, error) {
	if !enc.HasFiles() {
		return nil, nil
	}
	return s.rt.FileInfos(c.UserContext(), enc.FileIDs(nil, recs...))
}

// sendJSON answers body (copied) as JSON, as fiber's c.JSON does.
func sendJSON(c *fiber.Ctx, status int, body []byte) {
	c.Status(status)
	c.Response().SetBody(body)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
}

// jsonBuffer is a buffer an answer is written into before it is copied
// into the response; buffers are reused.
type jsonBuffer struct{ b []byte }

var jsonBuffers = sync.Pool{New: func() any { return &jsonBuffer{b: make([]byte, 0, 8<<10)} }}

func answerBuffer() *jsonBuffer { return jsonBuffers.Get().(*jsonBuffer) }

// free gives the buffer back, unless it grew past 1 MiB (a rare answer
// should not keep that much memory in the pool).
func (buf *jsonBuffer) free() {
	if cap(buf.b) > 1<<20 {
		return
	}
	buf.b = buf.b[:0]
	jsonBuffers.Put(buf)
}
