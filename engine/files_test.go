package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var fileDefs = map[string]string{"att/app.yaml": `
app: att
title: 附件
codesets:
  org:
    title: 单位
    codes:
      - {code: "101", name: 财政厅}
      - {code: "102", name: 教育厅}
entities:
  claim:
    title: 报销单
    org_field: agency
    fields:
      agency:  {type: code, codeset: org}
      title:   string
      invoice: {type: file, label: 发票, max_size: 1KB, types: [pdf, "image/*"]}
      sheet:   {type: file, label: 明细表, types: [xlsx, csv]}
      secret:  {type: file, label: 内部附件}
`}

var (
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	csvBytes  = []byte("账号,金额\n6222,1.00\n")
	xlsxBytes = append([]byte("PK\x03\x04\x14\x00\x06\x00"), make([]byte, 32)...)
)

func TestUploadFile(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, fileDefs), engine.OpenAccess{})
		ctx := context.Background()
		alice := engine.Actor{User: "alice", Org: "101"}
		scenarios := []struct {
			name, file, declared string
			data                 []byte
			wantType, wantName   string
			wantCode             string
		}{
			{"a pdf", "发票.pdf", "application/pdf", pdfBytes, "application/pdf", "发票.pdf", ""},
			{"a png, type from the extension", "scan.PNG", "", pngBytes, "image/png", "scan.PNG", ""},
			{"an xlsx is a zip inside", "明细.xlsx", "application/octet-stream", xlsxBytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "明细.xlsx", ""},
			{"a csv in text", "明细.csv", "text/csv", csvBytes, "text/csv", "明细.csv", ""},
			{"an unknown extension keeps the sniffed type", "data.bin", "", pngBytes, "image/png", "data.bin", ""},
			{"a browser's fake path is dropped", `C:\fakepath\发票.pdf`, "", pdfBytes, "application/pdf", "发票.pdf", ""},
			{"text named .pdf", "发票.pdf", "application/pdf", csvBytes, "", "", "content_mismatch"},
			{"a png declared as pdf", "scan.bin", "application/pdf", pngBytes, "", "", "content_mismatch"},
			{"an empty file", "empty.pdf", "", nil, "", "", "empty"},
			{"no name", "   ", "", pdfBytes, "", "", "name"},
			{"over the largest max_size", "big.bin", "", make([]byte, 10<<20+1), "", "", "too_large"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				info, err := rt.UploadFile(ctx, alice, sc.file, sc.declared, sc.data)
				if sc.wantCode != "" {
					var ve *engine.ValidationError
					if !errors.As(err, &ve) || len(ve.Fields["file"]) != 1 || string(ve.Fields["file"][0].Code) != sc.wantCode {
						t.Fatalf("got %v, want a validation error %s on file", err, sc.wantCode)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(sc.data)
				if info.ID <= 0 || info.Name != sc.wantName || info.ContentType != sc.wantType || info.Size != int64(len(sc.data)) ||
					info.SHA256 != hex.EncodeToString(sum[:]) || info.CreatedBy != "alice" {
					t.Fatalf("info %+v", info)
				}
				got, data, err := rt.OpenFile(ctx, alice, info.ID)
				if err != nil || !bytes.Equal(data, sc.data) || got.Name != info.Name {
					t.Fatalf("open: %v, %d bytes", err, len(data))
				}
			})
		}
		if rep := enginetest.Must(rt.DB.VerifyAudit(ctx)); !rep.OK() || rep.Rows != 6 {
			t.Fatalf("audit %+v: want one row per stored upload", rep)
		}
	})
}

func TestFileFields(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, fileDefs), scopedAccess{hidden: map[string]bool{"nosy claim.secret": true}})
		ctx := context.Background()
		alice := engine.Actor{User: "alice", Org: "101"}
		bob := engine.Actor{User: "bob", Org: "101"}
		carol := engine.Actor{User: "carol", Org: "102"}
		nosy := engine.Actor{User: "nosy", Org: "101"}
		upload := func(by engine.Actor, name string, data []byte) int64 {
			return enginetest.Must(rt.UploadFile(ctx, by, name, "", data)).ID
		}
		invoice := upload(alice, "发票.pdf", pdfBytes)
		bigPDF := upload(alice, "大发票.pdf", append(append([]byte{}, pdfBytes...), make([]byte, 2000)...))
		sheet := upload(alice, "明细.csv", csvBytes)
		secret := upload(alice, "内部.pdf", pdfBytes)
		bobs := upload(bob, "bob.pdf", pdfBytes)

		refused := []struct {
			name   string
			by     engine.Actor
			values map[string]any
			field  string
			code   string
		}{
			{"a file that does not exist", alice, map[string]any{"invoice": 999}, "invoice", "file_not_found"},
			{"another user's file, not attached to anything", alice, map[string]any{"invoice": bobs}, "invoice", "file_not_found"},
			{"over the field's max_size", alice, map[string]any{"invoice": bigPDF}, "invoice", "file_too_large"},
			{"a type the field does not take", alice, map[string]any{"invoice": sheet}, "invoice", "file_type"},
			{"not a file id", alice, map[string]any{"invoice": "发票.pdf"}, "invoice", "type"},
		}
		for _, sc := range refused {
			t.Run(sc.name, func(t *testing.T) {
				values := map[string]any{"agency": "101", "title": "x"}
				for k, v := range sc.values {
					values[k] = v
				}
				_, err := rt.Create(ctx, sc.by, "att", "claim", values)
				var ve *engine.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields[sc.field]) == 0 || string(ve.Fields[sc.field][0].Code) != sc.code {
					t.Fatalf("got %v, want %s on %s", err, sc.code, sc.field)
				}
			})
		}

		rec := enginetest.Must(rt.Create(ctx, alice, "att", "claim", map[string]any{"agency": "101", "title": "差旅", "invoice": invoice, "sheet": sheet, "secret": secret}))
		infos := enginetest.Must(rt.FileInfos(ctx, []int64{invoice, sheet, 999}))
		if len(infos) != 2 || infos[invoice].Name != "发票.pdf" || infos[sheet].ContentType != "text/csv" {
			t.Fatalf("infos %+v", infos)
		}
		readers := []struct {
			name string
			by   engine.Actor
			file int64
			ok   bool
		}{
			{"the uploader", alice, invoice, true},
			{"a reader of the record", bob, invoice, true},
			{"a reader outside the record's scope", carol, invoice, false},
			{"a reader to whom the field is hidden", nosy, secret, false},
			{"the same reader, another field", nosy, invoice, true},
			{"nobody but the uploader reads an unattached file", alice, bobs, false},
		}
		for _, sc := range readers {
			t.Run("read: "+sc.name, func(t *testing.T) {
				_, data, err := rt.OpenFile(ctx, sc.by, sc.file)
				switch {
				case sc.ok && (err != nil || len(data) == 0):
					t.Fatalf("got %v, want the file", err)
				case !sc.ok && !errors.Is(err, engine.ErrNotFound):
					t.Fatalf("got %v, want ErrNotFound", err)
				}
			})
		}
		t.Run("a reader of a record may attach its file elsewhere; an outsider may not", func(t *testing.T) {
			enginetest.Must(rt.Create(ctx, bob, "att", "claim", map[string]any{"agency": "101", "invoice": invoice}))
			_, err := rt.Create(ctx, carol, "att", "claim", map[string]any{"agency": "102", "invoice": invoice})
			if !engine.IsValidation(err) || !strings.Contains(err.Error(), "不存在或不是您上传的") {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("replacing a file drops the old one's link", func(t *testing.T) {
			fresh := upload(alice, "新.pdf", pdfBytes)
			rec = enginetest.Must(rt.Update(ctx, alice, "att", "claim", rec.ID, rec.Version, map[string]any{"secret": fresh}))
			if _, _, err := rt.OpenFile(ctx, bob, secret); !errors.Is(err, engine.ErrNotFound) {
				t.Fatalf("old file: %v, want ErrNotFound", err)
			}
			if _, _, err := rt.OpenFile(ctx, bob, fresh); err != nil {
				t.Fatalf("new file: %v", err)
			}
			// An update that leaves a file alone does not check it again.
			rec = enginetest.Must(rt.Update(ctx, bob, "att", "claim", rec.ID, rec.Version, map[string]any{"title": "差旅（改）"}))
		})
		t.Run("deleting the record drops its links", func(t *testing.T) {
			if err := rt.Delete(ctx, alice, "att", "claim", rec.ID, rec.Version); err != nil {
				t.Fatal(err)
			}
			if _, _, err := rt.OpenFile(ctx, bob, sheet); !errors.Is(err, engine.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
			if _, _, err := rt.OpenFile(ctx, alice, sheet); err != nil {
				t.Fatalf("the uploader keeps access: %v", err)
			}
		})
	})
}
