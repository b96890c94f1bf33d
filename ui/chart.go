package ui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/shopspring/decimal"
)

// Charts are drawn on the server as inline SVG: no script, no CDN, the same
// picture in every browser and in a saved page. A report's chart: key picks
// bar, line or pie and the measures drawn; the categories are the report's
// rows (with levels: its first-level subtotals, such as each 类). Each bar,
// point and slice carries the exact figure as its tooltip and links to the
// records behind it, like the table's figures. Geometry is computed in
// floating point, which only places pixels: every figure shown is the
// engine's exact decimal text.

// chartPoint is one category of a chart.
type chartPoint struct {
	label  string
	values []decimal.Decimal
	texts  []string
	url    string
}

// MaxChartCategories is how many categories a chart draws; the table has
// them all.
const MaxChartCategories = 40

var chartColors = []string{"#2f6db5", "#e07b39", "#3a9d5d", "#c0392b", "#8e5ea2", "#c29b0c", "#17a2b8", "#6c757d"}

// reportChart draws res's chart, or "" when the report has none or there is
// nothing to draw.
func (u *UI) reportChart(r *request, res *engine.ReportResult, table reportTable) template.HTML {
	c := res.Report.Chart
	if c == nil {
		return ""
	}
	measures := c.Measures
	if len(measures) == 0 {
		measures = []string{res.Report.Measures[0].Name}
	}
	var labels []string
	col := map[string]int{}
	for i, rc := range res.Columns {
		col[rc.Name] = i
	}
	for _, m := range measures {
		labels = append(labels, u.columnLabel(r.lang, res, res.Columns[col[m]]))
	}
	var points []chartPoint
	levelled := len(res.Report.Levels) > 0
	for i, row := range res.Rows {
		if levelled && !(row.Subtotal && row.Level == 1) {
			continue
		}
		var parts []string
		for j, rc := range res.Columns {
			if !rc.Group {
				continue
			}
			if _, set := row.Values[rc.Name]; row.Subtotal && !set {
				continue
			}
			cell := table.rows[i].Cells[j]
			parts = append(parts, strings.TrimSpace(cell.Code+" "+cell.Text))
		}
		p := chartPoint{label: strings.Join(parts, " / ")}
		for _, m := range measures {
			cell := table.rows[i].Cells[col[m]]
			p.values = append(p.values, chartValue(row.Values[m]))
			p.texts = append(p.texts, cell.Text)
			if p.url == "" {
				p.url = cell.URL
			}
		}
		points = append(points, p)
		if len(points) == MaxChartCategories {
			break
		}
	}
	if len(points) == 0 {
		return ""
	}
	title := c.Title
	if title == "" {
		title = reportTitle(res.Report)
	}
	switch c.Type {
	case "pie":
		return pieChart(title, labels[0], points)
	case "line":
		return axisChart(title, labels, points, true)
	}
	return axisChart(title, labels, points, false)
}

func chartValue(v any) decimal.Decimal {
	switch x := v.(type) {
	case decimal.Decimal:
		return x
	case int64:
		return decimal.NewFromInt(x)
	}
	return decimal.Zero
}

func esc(s string) string { return html.EscapeString(s) }

// axisChart draws bars (grouped by measure) or lines over the categories.
func axisChart(title string, labels []string, points []chartPoint, line bool) template.HTML {
	const w, h, left, right, top, bottom = 760.0, 320.0, 90.0, 20.0, 30.0, 90.0
	pw, ph := w-left-right, h-top-bottom
	lo, hi := 0.0, 0.0
	for _, p := range points {
		for _, v := range p.values {
			f := v.InexactFloat64()
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	y := func(f float64) float64 { return top + ph - (f-lo)/(hi-lo)*ph }
	var b strings.Builder
	kind := "bar"
	if line {
		kind = "line"
	}
	fmt.Fprintf(&b, `<figure class="chart" id="chart" data-chart="%s"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, kind, w, h, esc(title), esc(title))
	for t := lo; t <= hi+step/2; t += step {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e3e7ee"/>`, left, w-right, y(t), y(t))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, left-6, y(t)+4, esc(GroupDigits(decimal.NewFromFloat(t), 0)))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#888"/>`, left, w-right, y(0), y(0))
	gw := pw / float64(len(points))
	for i, p := range points {
		cx := left + gw*(float64(i)+0.5)
		label := p.label
		if r := []rune(label); len(r) > 14 {
			label = string(r[:13]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#333" transform="rotate(-35 %.1f %.1f)"><title>%s</title>%s</text>`, cx, top+ph+14, cx, top+ph+14, esc(p.label), esc(label))
	}
	for m := range labels {
		color := chartColors[m%len(chartColors)]
		if line {
			var pts []string
			for i, p := range points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", left+gw*(float64(i)+0.5), y(p.values[m].InexactFloat64())))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
		}
		bw := gw * 0.8 / float64(len(labels))
		for i, p := range points {
			f := p.values[m].InexactFloat64()
			tip := esc(p.label + " · " + labels[m] + "：" + p.texts[m])
			if p.url != "" {
				fmt.Fprintf(&b, `<a href="%s">`, esc(p.url))
			}
			if line {
				fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s</title></circle>`, left+gw*(float64(i)+0.5), y(f), color, tip)
			} else {
				x := left + gw*float64(i) + gw*0.1 + bw*float64(m)
				y0, y1 := y(math.Max(f, 0)), y(math.Min(f, 0))
				fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x, y0, bw, math.Max(y1-y0, 0.5), color, tip)
			}
			if p.url != "" {
				b.WriteString(`</a>`)
			}
		}
	}
	legend(&b, labels, left, 16)
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

func legend(b *strings.Builder, labels []string, x, y float64) {
	for m, l := range labels {
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" font-size="12" fill="#333">%s</text>`, x, y-9, chartColors[m%len(chartColors)], x+14, y, esc(l))
		x += 24 + 13*float64(len([]rune(l)))
	}
}

// niceStep rounds a tick step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// pieChart draws the positive values of one measure as slices.
func pieChart(title, measure string, points []chartPoint) template.HTML {
	const w, h, cx, cy, rad = 760.0, 320.0, 160.0, 160.0, 130.0
	total := decimal.Zero
	for _, p := range points {
		if p.values[0].IsPositive() {
			total = total.Add(p.values[0])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="chart" id="chart" data-chart="pie"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, w, h, esc(title), esc(title))
	if !total.IsPositive() {
		b.WriteString(`</svg></figure>`)
		return template.HTML(b.String())
	}
	angle := -math.Pi / 2
	ly := 30.0
	for i, p := range points {
		v := p.values[0]
		if !v.IsPositive() {
			continue
		}
		share := v.Div(total)
		sweep := share.InexactFloat64() * 2 * math.Pi
		color := chartColors[i%len(chartColors)]
		x0, y0 := cx+rad*math.Cos(angle), cy+rad*math.Sin(angle)
		x1, y1 := cx+rad*math.Cos(angle+sweep), cy+rad*math.Sin(angle+sweep)
		large := 0
		if sweep > math.Pi {
			large = 1
		}
		pct := share.Mul(decimal.NewFromInt(100)).StringFixed(1)
		tip := esc(p.label + " · " + measure + "：" + p.texts[0] + "（" + pct + "%）")
		if p.url != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(p.url))
		}
		if share.Equal(decimal.NewFromInt(1)) {
			fmt.Fprintf(&b, `<circle class="slice" cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s</title></circle>`, cx, cy, rad, color, tip)
		} else {
			fmt.Fprintf(&b, `<path class="slice" d="M%.1f,%.1f L%.2f,%.2f A%.1f,%.1f 0 %d 1 %.2f,%.2f Z" fill="%s" stroke="#fff"><title>%s</title></path>`, cx, cy, x0, y0, rad, rad, large, x1, y1, color, tip)
		}
		if p.url != "" {
			b.WriteString(`</a>`)
		}
		if ly < h-10 {
			fmt.Fprintf(&b, `<rect x="320" y="%.1f" width="10" height="10" fill="%s"/><text x="336" y="%.1f" font-size="12" fill="#333">%s %s%%</text>`, ly-9, color, ly, esc(p.label), pct)
			ly += 18
		}
		angle += sweep
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}
