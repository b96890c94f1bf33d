package apps

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// decodeObject reads a JSON object body, keeping numbers exact (json.Number)
// so that no amount passes through a float.
func decodeObject(body []byte) (map[string]any, error) {
	if obj, ok := decodeWellFormed(body); ok {
		return obj, nil
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, web.NewError(errcode.Malformed, "请求体不是有效的 JSON 对象：%v", err)
	}
	if obj == nil {
		return nil, web.NewError(errcode.Malformed, "请求体应为 JSON 对象")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, web.NewError(errcode.Malformed, "JSON 对象之后还有多余内容")
	}
	return obj, nil
}

func (s *Server) list(c *fiber.Ctx) error {
	actor, e, err := s.entityTarget(c)
	if err != nil {
		return err
	}
	q := engine.ListQuery{Filter: c.Query("filter"), Sort: c.Query("sort"), Total: c.QueryBool("total"), Search: c.Query("q")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"page_size", &q.PageSize}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return engine.BadQuery(p.name, "应为正整数，收到 %q", v)
			}
			*p.dst = n
		}
	}
	res, err := s.rt.List(c.UserContext(), actor, e.App.Name, e.Name, q)
	if err != nil {
		return err
	}
	// The answer is what encoding/json makes of {"items": [records…],
	// "page", "page_size", "has_more", "total"}: keys sorted.
	enc := s.rt.RecordEncoder(actor, e)
	files, err := s.recordFiles(c, enc, res.Items...)
	if err != nil {
		return err
	}
	buf := answerBuffer()
	defer buf.free()
	b := append(buf.b, `{"has_more":`...)
	b = strconv.AppendBool(b, res.HasMore)
	b = append(b, `,"items":[`...)
	for i, rec := range res.Items {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = enc.Append(b, rec, files); err != nil {
			return err
		}
	}
	b = append(b, `],"page":`...)
	b = strconv.AppendInt(b, int64(res.Page), 10)
	b = append(b, `,"page_size":`...)
	b = strconv.AppendInt(b, int64(res.PageSize), 10)
	if res.Total != nil {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, *res.Total, 10)
	}
	b = append(b, '}')
	buf.b = b
	sendJSON(c, fiber.StatusOK, b)
	return nil
}

func (s *Server) create(c *fiber.Ctx) error {
	actor, e, err := s.entityTarget(c)
	if err != nil {
		return err
	}
	input, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	ctx, err := requestContext(c)
	if err != nil {
		return err
	}
	rec, err := s.rt.Create(ctx, actor, e.App.Name, e.Name, input)
	if err != nil {
		return err
	}
	c.Location("/api/" + e.App.Name + "/" + e.Name + "/" + strconv.FormatInt(rec.ID, 10))
	return s.sendRecord(c, fiber.StatusCreated, actor, e, rec)
}

func (s *Server) get(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	rec, err := s.rt.Get(c.UserContext(), actor, e.App.Name, e.Name, id)
	if err != nil {
		return err
	}
	return s.sendRecord(c, fiber.StatusOK, actor, e, rec)
}

// versionOf takes the required "version" out of a PATCH body.
func versionOf(input map[string]any) (int64, error) {
	raw, ok := input["version"]
	if !ok {
		return 0, engine.Malformed("version", errcode.Required, "修改记录须提供读取时的 version")
	}
	delete(input, "version")
	n, ok := raw.(json.Number)
	v, err := n.Int64()
	if !ok || err != nil || v < 1 {
		return 0, engine.Malformed("version", errcode.Type, "version 应为正整数")
	}
	return v, nil
}

func (s *Server) update(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	input, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	version, err := versionOf(input)
	if err != nil {
		return err
	}
	rec, err := s.rt.Update(c.UserContext(), actor, e.App.Name, e.Name, id, version, input)
	if err != nil {
		return err
	}
	return s.sendRecord(c, fiber.StatusOK, actor, e, rec)
}

func (s *Server) delete(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	version, err := strconv.ParseInt(c.Query("version"), 10, 64)
	if err != nil || version < 1 {
		return engine.BadQuery("version", "删除记录须在查询参数中提供读取时的 version")
	}
	if err := s.rt.Delete(c.UserContext(), actor, e.App.Name, e.Name, id, version); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
