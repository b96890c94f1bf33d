package ui

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// printPDF answers /ui/{app}/{entity}/{id}/print.pdf: the print view of the
// record as a PDF drawn on the server (no browser), for whoever may see the
// print view, with the same fields left out.
func (u *UI) printPDF(r *request) error {
	_, v, err := u.printView(r)
	if err != nil {
		return err
	}
	data := voucherPDF(r.lang, v, time.Now().In(u.opts.Location))
	r.c.Set(fiber.HeaderContentType, "application/pdf")
	r.c.Set(fiber.HeaderContentDisposition, fileDisposition(v.Title+" "+v.Name+".pdf"))
	return r.c.Send(data)
}

// The voucher on A4, laid out like the print style sheet lays out the page:
// the title, the record's name and state, one bordered grid of label–value
// cells by section, the amount in capitals and in figures, a row of
// signature boxes and who printed it when. A grid row that no longer fits
// goes to a new page, and the pages of a longer voucher are numbered.
const (
	pdfMargin     = 42.0 // 15 mm
	pdfTop        = 48.0
	pdfCellSize   = 9.5 // the grid's text
	pdfPad        = 4.0
	pdfLabelWidth = 84.0
	pdfLeading    = 1.4 // line height over font size
)

type voucherLayout struct {
	doc *pdfDoc
	y   float64 // the top of what comes next
}

// voucherPDF draws v.
func voucherPDF(l Lang, v *printView, now time.Time) []byte {
	doc := newPDF(v.Title + " " + v.Name)
	lay := &voucherLayout{doc: doc, y: pdfTop}
	width := a4Width - 2*pdfMargin

	const titleSize = 20.0
	tw := textWidth(v.Title, titleSize)
	doc.text((a4Width-tw)/2, lay.y+titleSize, titleSize, 0, v.Title)
	lay.y += titleSize + 6
	// The double rule under a voucher's title.
	doc.line((a4Width-tw)/2-8, lay.y, (a4Width+tw)/2+8, lay.y, 0.8)
	doc.line((a4Width-tw)/2-8, lay.y+2.5, (a4Width+tw)/2+8, lay.y+2.5, 0.4)
	lay.y += 18
	sub := v.Name
	if v.State != "" {
		sub += "・" + v.State
	}
	doc.text((a4Width-textWidth(sub, 10))/2, lay.y, 10, 0.3, sub)
	lay.y += 12

	for _, s := range v.Sections {
		if s.Title != "" {
			lay.row(pdfCell{text: s.Title, width: width, size: 10, fill: 0.9})
		}
		for _, row := range s.Rows {
			cellWidth := width / float64(len(row))
			label := min(pdfLabelWidth, cellWidth*0.4)
			var cells []pdfCell
			for _, c := range row {
				cells = append(cells,
					pdfCell{text: c.Label, width: label, size: pdfCellSize, fill: 0.95},
					pdfCell{text: c.Value, width: cellWidth - label, size: pdfCellSize, right: c.Numeric})
			}
			lay.row(cells...)
		}
	}
	if v.AmountLabel != "" {
		figures := 150.0
		lay.row(
			pdfCell{text: l.T("print.amount.words"), width: pdfLabelWidth, size: pdfCellSize, fill: 0.95},
			pdfCell{text: v.Words, width: width - pdfLabelWidth - figures, size: 11},
			pdfCell{text: v.Amount, width: figures, size: 11, right: true})
	}

	if n := len(v.Signatures); n > 0 {
		const height = 64.0
		lay.y += 14
		lay.fit(height)
		w := width / float64(n)
		date := l.T("print.date") + "：　　年　　月　　日"
		for i, sig := range v.Signatures {
			x := pdfMargin + float64(i)*w
			doc.frame(x+2, lay.y, w-4, height, 0.6)
			doc.text(x+2+pdfPad, lay.y+pdfPad+pdfCellSize, pdfCellSize, 0, sig)
			doc.text(x+2+pdfPad, lay.y+height-pdfPad-2, 8, 0.3, date)
		}
		lay.y += height
	}
	lay.y += 16
	lay.fit(10)
	doc.text(pdfMargin, lay.y, 8, 0.4, v.Printed)
	if n := len(doc.pages); n > 1 {
		for i, p := range doc.pages {
			doc.page = p
			folio := l.T("print.page", i+1, n)
			doc.text((a4Width-textWidth(folio, 8))/2, a4Height-pdfTop/2, 8, 0.4, folio)
		}
	}
	return doc.bytes(now)
}

// pdfCell is one cell of a grid row: its text wraps within its width.
type pdfCell struct {
	text  string
	width float64
	size  float64
	fill  float64 // grey level of its background; 0 for none
	right bool    // numbers align right
}

// row draws a row of cells as tall as its tallest, on a new page if it does
// not fit on this one. A row taller than a page (a long text) is the one
// that goes on over pages, its lines cut where a page ends.
func (lay *voucherLayout) row(cells ...pdfCell) {
	lines := make([][]string, len(cells))
	for i, c := range cells {
		lines[i] = wrap(c.text, c.size, c.width-2*pdfPad)
	}
	const page = a4Height - 2*pdfTop
	for {
		height := 0.0
		for i, c := range cells {
			height = max(height, float64(len(lines[i]))*c.size*pdfLeading+2*pdfPad)
		}
		if height <= page {
			lay.fit(height)
			lay.cells(cells, lines, height)
			return
		}
		lay.fit(page / 4)
		room := a4Height - pdfTop - lay.y
		part := make([][]string, len(cells))
		for i, c := range cells {
			n := min(len(lines[i]), int((room-2*pdfPad)/(c.size*pdfLeading)))
			part[i], lines[i] = lines[i][:n], lines[i][n:]
		}
		lay.cells(cells, part, room)
		lay.doc.addPage()
		lay.y = pdfTop
	}
}

// cells draws one row of cells, height points tall, with their lines.
func (lay *voucherLayout) cells(cells []pdfCell, lines [][]string, height float64) {
	x := pdfMargin
	for i, c := range cells {
		if c.fill > 0 {
			lay.doc.box(x, lay.y, c.width, height, c.fill)
		}
		lay.doc.frame(x, lay.y, c.width, height, 0.5)
		for j, line := range lines[i] {
			tx := x + pdfPad
			if c.right {
				tx = x + c.width - pdfPad - textWidth(line, c.size)
			}
			lay.doc.text(tx, lay.y+pdfPad+float64(j)*c.size*pdfLeading+c.size, c.size, 0, line)
		}
		x += c.width
	}
	lay.y += height
}

// fit starts a new page unless height more points fit on this one.
func (lay *voucherLayout) fit(height float64) {
	if lay.y+height > a4Height-pdfTop {
		lay.doc.addPage()
		lay.y = pdfTop
	}
}
