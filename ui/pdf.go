package ui

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// A small PDF writer, just enough for the print view of a record: A4
// pages of text, lines and filled boxes in one font. The font is the PDF
// standard's non-embedded Chinese font STSong-Light (a CIDFontType0 of the
// Adobe-GB1 character collection, encoded with the predefined UniGB-UCS2-H
// CMap, as iText and ReportLab write it): the file carries no font at all,
// so it stays a few kilobytes, and every PDF reader shows it in its own
// Song face (Acrobat's Chinese font pack, SimSun in Foxit and WPS, the
// system's Chinese font in browsers and poppler). The pure-Go PDF libraries
// only embed TrueType fonts, and the freely licensed Chinese fonts are
// megabytes of CFF outlines; docs/architecture.md says more.
//
// Coordinates are in points from the top-left corner of the page; the
// writer turns them into PDF's bottom-up space.

const (
	a4Width  = 595.28
	a4Height = 841.89
)

// pdfDoc is a document being drawn; bytes writes it out.
type pdfDoc struct {
	title string
	pages []*bytes.Buffer
	page  *bytes.Buffer
	used  map[rune]bool // the characters drawn, for the ToUnicode map
}

func newPDF(title string) *pdfDoc {
	d := &pdfDoc{title: title, used: map[rune]bool{}}
	d.addPage()
	return d
}

func (d *pdfDoc) addPage() {
	d.page = &bytes.Buffer{}
	d.pages = append(d.pages, d.page)
}

// text draws s with its baseline at y, starting at x, in size points and
// grey level gray (0 black, 1 white).
func (d *pdfDoc) text(x, y, size, gray float64, s string) {
	var hex strings.Builder
	for _, r := range s {
		r = pdfRune(r)
		if r < 0x20 {
			continue
		}
		d.used[r] = true
		fmt.Fprintf(&hex, "%04X", r)
	}
	if hex.Len() == 0 {
		return
	}
	fmt.Fprintf(d.page, "BT %s g /F1 %s Tf %s %s Td <%s> Tj ET\n", num(gray), num(size), num(x), num(a4Height-y), hex.String())
}

// box fills a rectangle in grey level gray.
func (d *pdfDoc) box(x, y, w, h, gray float64) {
	fmt.Fprintf(d.page, "%s g %s %s %s %s re f\n", num(gray), num(x), num(a4Height-y-h), num(w), num(h))
}

// frame strokes a rectangle's outline, width points wide.
func (d *pdfDoc) frame(x, y, w, h, width float64) {
	fmt.Fprintf(d.page, "0 G %s w %s %s %s %s re S\n", num(width), num(x), num(a4Height-y-h), num(w), num(h))
}

// line strokes a line, width points wide.
func (d *pdfDoc) line(x1, y1, x2, y2, width float64) {
	fmt.Fprintf(d.page, "0 G %s w %s %s m %s %s l S\n", num(width), num(x1), num(a4Height-y1), num(x2), num(a4Height-y2))
}

// pdfRune is the character drawn for r. UniGB-UCS2-H encodes the Basic
// Multilingual Plane only, and leaves out a few characters common in
// Chinese text that Adobe-GB1 draws under another code point: the half-width
// yen sign (drawn as the full-width ￥ usual on vouchers) and the Latin
// middle dot of names such as 阿卜杜·热合曼 (drawn as the GB 2312 dot ・).
// A character beyond the plane — a rare name character of CJK Extension B —
// prints as 〓, the typesetter's mark for a missing character.
func pdfRune(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return ' '
	case r == '¥':
		return '￥'
	case r == '·' || r == '•' || r == '‧':
		return '・'
	case r == '−':
		return '-'
	case r > 0xFFFF || (r >= 0xD800 && r < 0xE000):
		return '〓'
	}
	return r
}

// stSongLatin are the widths (thousandths of the font size) of the printable
// ASCII characters U+0020–U+007E, Adobe-GB1 CIDs 1–95: STSong-Light's
// proportional Latin, as published in the font's metrics. Every other
// character of the collection that a voucher uses is full width (1000).
var stSongLatin = [95]int{
	207, 270, 342, 467, 462, 797, 710, 239, 374, 374, 423, 605, 238, 375, 238, 334, // space to /
	462, 462, 462, 462, 462, 462, 462, 462, 462, 462, 238, 238, 605, 605, 605, 344, // 0 to ?
	748, 684, 560, 695, 739, 563, 511, 729, 793, 318, 312, 666, 526, 896, 758, 772, // @ to O
	544, 772, 628, 465, 607, 753, 711, 972, 647, 620, 607, 374, 333, 374, 606, 500, // P to _
	239, 417, 503, 427, 529, 415, 264, 444, 518, 241, 230, 495, 228, 793, 527, 524, // ` to o
	524, 504, 338, 336, 277, 517, 450, 652, 466, 452, 407, 370, 258, 370, 605, // p to ~
}

// textWidth is the width of s drawn in size points.
func textWidth(s string, size float64) float64 {
	w := 0
	for _, r := range s {
		w += runeWidth(pdfRune(r))
	}
	return float64(w) * size / 1000
}

func runeWidth(r rune) int {
	switch {
	case r < 0x20:
		return 0
	case r <= 0x7E:
		return stSongLatin[r-0x20]
	}
	return 1000
}

// wrap breaks s into lines no wider than width at size points: at its own
// line breaks, then between words where a line holds a whole Latin word,
// else between any two characters (Chinese has no spaces to break at).
func wrap(s string, size, width float64) []string {
	var lines []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		runes := []rune(para)
		for len(runes) > 0 {
			w, cut := 0.0, len(runes)
			for i, r := range runes {
				w += float64(runeWidth(pdfRune(r))) * size / 1000
				if w > width && i > 0 {
					cut = i
					break
				}
			}
			if cut < len(runes) {
				if i := lastSpace(runes[:cut]); i > 0 && isLatin(runes[cut]) {
					cut = i + 1
				}
			}
			lines = append(lines, strings.TrimRight(string(runes[:cut]), " "))
			runes = runes[cut:]
		}
		if len(para) == 0 {
			lines = append(lines, "")
		}
	}
	return lines
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' {
			return i
		}
	}
	return -1
}

func isLatin(r rune) bool { return r > ' ' && r <= 0x7E }

// bytes writes the document: catalog, page tree, the font (a Type0 font
// over the CIDFont STSong-Light, with a ToUnicode map so that text can be
// copied and searched in readers that lack Adobe's CMap files), the
// document information and the pages, their content compressed.
func (d *pdfDoc) bytes(created time.Time) []byte {
	var out bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	stream := func(dict string, data []byte) {
		var z bytes.Buffer
		w := deflaters.Get().(*zlib.Writer)
		w.Reset(&z)
		w.Write(data)
		w.Close()
		deflaters.Put(w)
		obj(fmt.Sprintf("<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", dict, z.Len(), z.Bytes()))
	}
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	const fixed = 7 // catalog, pages, 3 font objects, ToUnicode, info
	kids := make([]string, len(d.pages))
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", fixed+1+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(d.pages)))
	obj("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>")
	widths := make([]string, len(stSongLatin))
	for i, w := range stSongLatin {
		widths[i] = strconv.Itoa(w)
	}
	obj("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R /DW 1000 /W [1 [" + strings.Join(widths, " ") + "]] >>")
	obj("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
	stream("", d.toUnicode())
	obj(fmt.Sprintf("<< /Title %s /Producer (Growth) /CreationDate (D:%s) >>", pdfText(d.title), created.Format("20060102150405-07'00'")))
	for i, content := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", num(a4Width), num(a4Height), fixed+2+2*i))
		stream("", content.Bytes())
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return out.Bytes()
}

// deflaters are reused: a compressor's state is most of a voucher's cost.
var deflaters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

// toUnicode maps each code drawn to its character: with UniGB-UCS2-H the
// code is the character's UTF-16 unit itself.
func (d *pdfDoc) toUnicode() []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	runes := make([]rune, 0, len(d.used))
	for r := range d.used {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	for len(runes) > 0 {
		n := min(len(runes), 100)
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, r := range runes[:n] {
			fmt.Fprintf(&b, "<%04X> <%04X>\n", r, r)
		}
		b.WriteString("endbfchar\n")
		runes = runes[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// pdfText is a text string for the document information: UTF-16BE with a
// byte order mark, in hex.
func pdfText(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// num writes a coordinate with at most two decimals, as PDF readers expect
// plain decimal numbers (no exponent).
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}
