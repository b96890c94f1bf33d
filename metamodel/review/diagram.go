package review

import (
	"fmt"
	"html"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/growth-gov/growth/metamodel"
)

// Diagrams of a workflow show every state (final ones doubled, unreachable
// ones dashed) and every transition with what an auditor asks of it: the
// event, the roles that may fire it, not_by, the quorum, a required comment
// and the guard.

// EdgeLabel is the text of transition t's edge, one line per item.
func EdgeLabel(t *metamodel.Transition) []string {
	first := t.Event
	if t.Label != "" && t.Label != t.Event {
		first += " " + t.Label
	}
	lines := []string{first}
	who := "roles " + strings.Join(t.Roles, ", ")
	if len(t.Roles) == 0 {
		who = "no roles (anyone granted it)"
	}
	var extra []string
	if len(t.NotBy) > 0 {
		extra = append(extra, "not by "+strings.Join(t.NotBy, ", "))
	}
	if t.Quorum.Max() > 1 {
		extra = append(extra, "quorum "+t.Quorum.String())
	}
	if t.Comment == "required" {
		extra = append(extra, "comment required")
	}
	lines = append(lines, who)
	if len(extra) > 0 {
		lines = append(lines, strings.Join(extra, " · "))
	}
	if t.Guard != "" {
		lines = append(lines, "["+t.Guard+"]")
	}
	return lines
}

// EdgeLabelChinese is EdgeLabel in Chinese with the labels of the
// definitions: the event's label, the roles' titles, who not_by keeps out.
func EdgeLabelChinese(p *metamodel.Project, w *metamodel.Workflow, t *metamodel.Transition) []string {
	first := t.Label
	if first == "" {
		first = t.Event
	}
	lines := []string{first + "（" + t.Event + "）"}
	var app *metamodel.App
	if w.Target != nil {
		app = w.Target.App
	}
	who := "角色：" + roleTitles(app, t.Roles)
	if len(t.Roles) == 0 {
		who = "未限角色（凡被授权者均可）"
	}
	var extra []string
	if len(t.NotBy) > 0 {
		extra = append(extra, "不得由"+strings.Join(notByChinese(t.NotBy), "、")+"执行")
	}
	if t.Quorum.Max() > 1 {
		by := t.Quorum.By
		if w.Target != nil {
			if f := w.Target.Field(by); f != nil {
				by = f.DisplayLabel()
			}
		}
		extra = append(extra, "会签 "+quorumChinese(t.Quorum, by))
	}
	if t.Comment == "required" {
		extra = append(extra, "须填写意见")
	}
	lines = append(lines, who)
	if len(extra) > 0 {
		lines = append(lines, strings.Join(extra, " · "))
	}
	if t.Guard != "" {
		lines = append(lines, "条件 ["+t.Guard+"]")
	}
	return lines
}

// roleTitles names roles by their titles, 单位审核、国库支付中心.
func roleTitles(a *metamodel.App, roles []string) string {
	var out []string
	for _, name := range roles {
		label := name
		if a != nil {
			if r := a.Role(name); r != nil && r.Title != "" {
				label = r.Title
			}
		}
		out = append(out, label)
	}
	return strings.Join(out, "、")
}

// notByChinese says in Chinese who not_by keeps out.
func notByChinese(notBy []string) []string {
	words := map[string]string{"creator": "创建人", "editors": "录入或修改人", "submitter": "提交人", "actors": "经手过前序环节的人", "previous_approver": "上一步审批人"}
	var out []string
	for _, nb := range notBy {
		if w := words[nb]; w != "" {
			out = append(out, w)
		} else {
			out = append(out, nb)
		}
	}
	return out
}

// quorumChinese writes a quorum as 2 人, or 1 人；金额超过 1000000.00 2 人.
func quorumChinese(q *metamodel.Quorum, by string) string {
	s := fmt.Sprintf("%d 人", q.Base())
	if q.Tiered() {
		for _, t := range q.Above {
			s += fmt.Sprintf("；%s超过 %s %d 人", by, t.Threshold.StringFixed(2), t.Approvals)
		}
	}
	return s
}

func stateTitle(w *metamodel.Workflow, s string) string {
	if l := w.Labels[s]; l != "" {
		return l
	}
	return s
}

// Mermaid draws w as a Mermaid state diagram (stateDiagram-v2).
func Mermaid(w *metamodel.Workflow) string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	if w.Title != "" {
		fmt.Fprintf(&b, "    %%%% %s: %s\n", w.Name, w.Title)
	}
	reach := reachable(w)
	for _, s := range w.States {
		fmt.Fprintf(&b, "    state \"%s (%s)\" as %s\n", mermaidEscape(stateTitle(w, s)), s, s)
	}
	if w.Initial != "" {
		fmt.Fprintf(&b, "    [*] --> %s\n", w.Initial)
	}
	for _, t := range w.Transitions {
		label := strings.Join(mapStrings(EdgeLabel(t), mermaidEscape), "<br/>")
		for _, from := range t.From {
			fmt.Fprintf(&b, "    %s --> %s : %s\n", from, t.To, label)
		}
	}
	for _, s := range w.Final {
		fmt.Fprintf(&b, "    %s --> [*]\n", s)
	}
	var orphans []string
	for _, s := range w.States {
		if !reach[s] {
			orphans = append(orphans, s)
		}
	}
	if len(orphans) > 0 {
		b.WriteString("    classDef unreachable stroke:#c00,stroke-dasharray:4 3\n")
		fmt.Fprintf(&b, "    class %s unreachable\n", strings.Join(orphans, ","))
	}
	return b.String()
}

// mermaidEscape writes the characters Mermaid would read as syntax as its
// entity codes.
func mermaidEscape(s string) string {
	return strings.NewReplacer("#", "#35;", "<", "#lt;", ">", "#gt;", ";", "#59;", "\"", "#quot;", ":", "#58;").Replace(s)
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// DOT draws w in Graphviz's DOT language.
func DOT(w *metamodel.Workflow) string {
	var b strings.Builder
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	fmt.Fprintf(&b, "digraph %s {\n", q(w.Name))
	if w.Title != "" {
		fmt.Fprintf(&b, "  label=%s; labelloc=t;\n", q(w.Title+" ("+w.Name+")"))
	}
	b.WriteString("  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n")
	reach := reachable(w)
	if w.Initial != "" {
		fmt.Fprintf(&b, "  __start [shape=point, width=0.15];\n  __start -> %s;\n", q(w.Initial))
	}
	for _, s := range w.States {
		attrs := "label=" + q(stateTitle(w, s)+"\n"+s)
		if slices.Contains(w.Final, s) {
			attrs += ", peripheries=2"
		}
		if !reach[s] {
			attrs += `, style="rounded,dashed", color="#cc0000"`
		}
		fmt.Fprintf(&b, "  %s [%s];\n", q(s), attrs)
	}
	for _, t := range w.Transitions {
		for _, from := range t.From {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q(from), q(t.To), q(strings.Join(EdgeLabel(t), "\n")))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// Geometry of the SVG drawing, in pixels.
const (
	svgFont      = 14.0
	svgSmallFont = 11.0
	svgLabelFont = 11.0
	svgNodeH     = 46.0
	svgNodeGapX  = 70.0
	svgLayerGap  = 170.0
	svgMargin    = 24.0
)

type svgNode struct {
	state      string
	layer, pos int
	x, y, w, h float64 // centre, size
}

type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// textWidth estimates the width of s in a sans-serif font of size px: wide
// (CJK) characters take a full em, others about 0.6.
func textWidth(s string, px float64) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2E80 || unicode.Is(unicode.Han, r) {
			w += px
		} else {
			w += 0.6 * px
		}
	}
	return w
}

// SVG draws w as a self-contained SVG image with a layered layout: states in
// rows by their distance from the initial state, transitions that go forward
// as curves downwards, transitions that go back (rejections, loops) as arcs
// on the right.
func SVG(w *metamodel.Workflow) string { return svgWith(w, EdgeLabel) }

// SVGChinese is SVG with the edges in Chinese, roles by their titles (the
// auditor's page in the Chinese UI).
func SVGChinese(p *metamodel.Project, w *metamodel.Workflow) string {
	return svgWith(w, func(t *metamodel.Transition) []string { return EdgeLabelChinese(p, w, t) })
}

func svgWith(w *metamodel.Workflow, edgeLabel func(*metamodel.Transition) []string) string {
	// Layers: breadth-first distance from the initial state; states no
	// transition reaches go in a last row of their own.
	layer := map[string]int{}
	if slices.Contains(w.States, w.Initial) {
		layer[w.Initial] = 0
		queue := []string{w.Initial}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, t := range w.Transitions {
				if _, seen := layer[t.To]; slices.Contains(t.From, s) && !seen && slices.Contains(w.States, t.To) {
					layer[t.To] = layer[s] + 1
					queue = append(queue, t.To)
				}
			}
		}
	}
	last := 0
	for _, l := range layer {
		last = max(last, l)
	}
	unreachableRow := last + 1
	if len(layer) == 0 {
		unreachableRow = 0
	}
	for _, s := range w.States {
		if _, ok := layer[s]; !ok {
			layer[s] = unreachableRow
		}
	}
	rows := map[int][]string{}
	nrows := 0
	for _, s := range w.States {
		rows[layer[s]] = append(rows[layer[s]], s)
		nrows = max(nrows, layer[s]+1)
	}
	// Order each row by the mean position of its predecessors (barycentre),
	// which untangles most crossings of approval chains.
	position := map[string]float64{}
	for i, s := range rows[0] {
		position[s] = float64(i)
	}
	for r := 1; r < nrows; r++ {
		bary := map[string]float64{}
		for i, s := range rows[r] {
			sum, n := 0.0, 0.0
			for _, t := range w.Transitions {
				if t.To != s {
					continue
				}
				for _, f := range t.From {
					if layer[f] == r-1 {
						sum += position[f]
						n++
					}
				}
			}
			bary[s] = float64(i) + 1000
			if n > 0 {
				bary[s] = sum / n
			}
		}
		sort.SliceStable(rows[r], func(i, j int) bool { return bary[rows[r][i]] < bary[rows[r][j]] })
		for i, s := range rows[r] {
			position[s] = float64(i)
		}
	}
	// Sizes and places.
	nodes := map[string]*svgNode{}
	rowWidth := make([]float64, nrows)
	for r := 0; r < nrows; r++ {
		for i, s := range rows[r] {
			n := &svgNode{state: s, layer: r, pos: i, h: svgNodeH}
			n.w = math.Max(textWidth(stateTitle(w, s), svgFont), textWidth(s, svgSmallFont)) + 32
			n.w = math.Max(n.w, 90)
			nodes[s] = n
			rowWidth[r] += n.w
			if i > 0 {
				rowWidth[r] += svgNodeGapX
			}
		}
	}
	widest := 0.0
	for _, rw := range rowWidth {
		widest = max(widest, rw)
	}
	top := svgMargin + 40 // room for the title and the start dot
	for r := 0; r < nrows; r++ {
		x := svgMargin + (widest-rowWidth[r])/2
		for _, s := range rows[r] {
			n := nodes[s]
			n.x = x + n.w/2
			n.y = top + 30 + float64(r)*svgLayerGap + n.h/2
			x += n.w + svgNodeGapX
		}
	}
	var occupied []box
	for _, n := range nodes {
		occupied = append(occupied, box{n.x - n.w/2 - 4, n.y - n.h/2 - 4, n.x + n.w/2 + 4, n.y + n.h/2 + 4})
	}

	var edges, labels strings.Builder
	extent := box{0, 0, widest + 2*svgMargin, top + 30 + float64(nrows-1)*svgLayerGap + svgNodeH + svgMargin}
	grow := func(b box) {
		extent.x0, extent.y0 = math.Min(extent.x0, b.x0), math.Min(extent.y0, b.y0)
		extent.x1, extent.y1 = math.Max(extent.x1, b.x1), math.Max(extent.y1, b.y1)
	}
	// Transitions between the same two states bow apart so that their
	// labels do not sit on one another.
	pairTotal := map[[2]string]int{}
	for _, t := range w.Transitions {
		for _, from := range t.From {
			pairTotal[[2]string{from, t.To}]++
		}
	}
	pairCount := map[[2]string]int{}
	// Back edges (to an earlier row) run in lanes on the right, the shortest
	// innermost, each with its own lane so that they never share a line.
	type edgeKey struct {
		t    *metamodel.Transition
		from string
	}
	var backs []edgeKey
	for _, t := range w.Transitions {
		for _, from := range t.From {
			if a, b := nodes[from], nodes[t.To]; a != nil && b != nil && b.layer < a.layer {
				backs = append(backs, edgeKey{t, from})
			}
		}
	}
	sort.SliceStable(backs, func(i, j int) bool {
		return nodes[backs[i].from].layer-nodes[backs[i].t.To].layer < nodes[backs[j].from].layer-nodes[backs[j].t.To].layer
	})
	lane := map[edgeKey]int{}
	arrivals := map[string]int{}
	for i, k := range backs {
		lane[k] = i
	}
	type edgeToLabel struct {
		t              *metamodel.Transition
		p0, p1, p2, p3 [2]float64
		back           bool
	}
	var placed []edgeToLabel
	for _, t := range w.Transitions {
		for _, from := range t.From {
			a, b := nodes[from], nodes[t.To]
			if a == nil || b == nil {
				continue
			}
			pair := [2]string{from, t.To}
			k := pairCount[pair]
			pairCount[pair]++
			bow := (float64(k) - float64(pairTotal[pair]-1)/2) * 150
			shift := (float64(k) - float64(pairTotal[pair]-1)/2) * 12
			var p0, p1, p2, p3 [2]float64
			switch {
			case from == t.To:
				p0 = [2]float64{a.x + a.w/2, a.y - 8}
				p3 = [2]float64{a.x + a.w/2, a.y + 8}
				p1 = [2]float64{p0[0] + 60 + float64(k)*30, p0[1] - 40}
				p2 = [2]float64{p3[0] + 60 + float64(k)*30, p3[1] + 40}
			case b.layer > a.layer:
				// Leave the source towards the target, so that the edges
				// fanning out of one state (approve, reject) part early.
				lean := math.Max(-a.w/3, math.Min(a.w/3, (b.x-a.x)*0.3))
				p0 = [2]float64{a.x + lean + shift, a.y + a.h/2}
				p3 = [2]float64{b.x + shift, b.y - b.h/2}
				dy := (p3[1] - p0[1]) / 2
				p1 = [2]float64{p0[0] + bow, p0[1] + dy}
				p2 = [2]float64{p3[0] + bow, p3[1] - dy}
			case b.layer == a.layer:
				// Sideways: from the facing sides, bowed down a little.
				dir := 1.0
				if b.x < a.x {
					dir = -1
				}
				p0 = [2]float64{a.x + dir*a.w/2, a.y + 6}
				p3 = [2]float64{b.x - dir*b.w/2, b.y + 6}
				p1 = [2]float64{p0[0] + dir*20, p0[1] + 24 + math.Abs(bow)/4}
				p2 = [2]float64{p3[0] - dir*20, p3[1] + 24 + math.Abs(bow)/4}
			default:
				// Back: an arc on the right of both states.
				i := lane[edgeKey{t, from}]
				arr := arrivals[t.To]
				arrivals[t.To]++
				p0 = [2]float64{a.x + a.w/2, a.y + 6}
				p3 = [2]float64{b.x + b.w/2, b.y - 12 + 6*float64(arr%4)}
				right := 0.0
				for _, n := range nodes {
					if n.layer >= b.layer && n.layer <= a.layer {
						right = math.Max(right, n.x+n.w/2)
					}
				}
				right += 40 + 38*float64(i)
				p1 = [2]float64{right, p0[1]}
				p2 = [2]float64{right, p3[1]}
			}
			fmt.Fprintf(&edges, `  <path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" class="edge" marker-end="url(#arrow)"/>`+"\n",
				p0[0], p0[1], p1[0], p1[1], p2[0], p2[1], p3[0], p3[1])
			grow(box{p1[0] - 4, p1[1] - 4, p1[0] + 4, p1[1] + 4})
			grow(box{p2[0] - 4, p2[1] - 4, p2[0] + 4, p2[1] + 4})
			placed = append(placed, edgeToLabel{t: t, p0: p0, p1: p1, p2: p2, p3: p3, back: b.layer < a.layer})
		}
	}
	// Labels of forward edges first: back edges have room on the right.
	for _, back := range []bool{false, true} {
		for _, ed := range placed {
			if ed.back != back {
				continue
			}
			t, p0, p1, p2, p3 := ed.t, ed.p0, ed.p1, ed.p2, ed.p3
			// The label sits at the middle of the curve, nudged until it
			// overlaps no state and no other label.
			mx := (p0[0] + 3*p1[0] + 3*p2[0] + p3[0]) / 8
			my := (p0[1] + 3*p1[1] + 3*p2[1] + p3[1]) / 8
			lines := edgeLabel(t)
			lw := 0.0
			for _, l := range lines {
				lw = max(lw, textWidth(l, svgLabelFont))
			}
			lw += 10
			lh := float64(len(lines))*(svgLabelFont+3) + 6
			moves := [][2]float64{{0, 0}, {1, 0}, {0, 1}, {0, -1}, {-1, 0}}
			if ed.back {
				// A back edge's label hangs right of the arc's outermost point.
				mx += 6 + lw/2
				moves = [][2]float64{{0, 0}, {0, 1}, {0, -1}, {1, 0}}
			}
			place := func(dx, dy float64) box {
				return box{mx + dx - lw/2, my + dy - lh/2, mx + dx + lw/2, my + dy + lh/2}
			}
			lb := place(0, 0)
			side := 1.0 // try moving the label to the side the edge bends to first
			if p1[0]+p2[0] < p0[0]+p3[0] {
				side = -1
			}
		search:
			for step := 0; step < 80; step++ {
				for _, d := range moves {
					cand := place(d[0]*side*float64(step)*12, d[1]*float64(step)*8)
					if !slices.ContainsFunc(occupied, cand.overlaps) {
						lb = cand
						break search
					}
				}
			}
			occupied = append(occupied, lb)
			grow(lb)
			fmt.Fprintf(&labels, `  <g class="label"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3"/>`, lb.x0, lb.y0, lw, lh)
			for i, l := range lines {
				class := ""
				switch {
				case i == 0:
					class = ` class="event"`
				case strings.HasPrefix(l, "["):
					class = ` class="guard"`
				}
				fmt.Fprintf(&labels, `<text x="%.1f" y="%.1f"%s>%s</text>`, lb.x0+5, lb.y0+3+float64(i+1)*(svgLabelFont+3)-3, class, html.EscapeString(l))
			}
			labels.WriteString("</g>\n")
		}
	}

	reach := reachable(w)
	var states strings.Builder
	for _, s := range w.States {
		n := nodes[s]
		class := "state"
		if !reach[s] {
			class += " unreachable"
		}
		fmt.Fprintf(&states, `  <g class="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="10"/>`, class, n.x-n.w/2, n.y-n.h/2, n.w, n.h)
		if slices.Contains(w.Final, s) {
			fmt.Fprintf(&states, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="7"/>`, n.x-n.w/2+4, n.y-n.h/2+4, n.w-8, n.h-8)
		}
		fmt.Fprintf(&states, `<text x="%.1f" y="%.1f" class="title">%s</text><text x="%.1f" y="%.1f" class="name">%s</text></g>`+"\n",
			n.x, n.y-2, html.EscapeString(stateTitle(w, s)), n.x, n.y+14, html.EscapeString(s))
	}
	if n := nodes[w.Initial]; n != nil {
		fmt.Fprintf(&states, `  <circle cx="%.1f" cy="%.1f" r="7" class="start"/><path d="M%.1f,%.1f L%.1f,%.1f" class="edge" marker-end="url(#arrow)"/>`+"\n",
			n.x, n.y-n.h/2-34, n.x, n.y-n.h/2-27, n.x, n.y-n.h/2-2)
	}
	title := w.Name
	if w.Title != "" {
		title = w.Title + " (" + w.Name + ")"
	}
	extent.x0 -= svgMargin
	extent.x1 += svgMargin
	extent.y1 += svgMargin
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="%.0f %.0f %.0f %.0f" width="%.0f" height="%.0f" font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif">`+"\n",
		extent.x0, extent.y0, extent.x1-extent.x0, extent.y1-extent.y0, extent.x1-extent.x0, extent.y1-extent.y0)
	b.WriteString(`  <style>
    .state rect { fill: #f4f7fb; stroke: #35507a; stroke-width: 1.5; }
    .state.unreachable rect { fill: #fff4f4; stroke: #cc0000; stroke-dasharray: 5 3; }
    .state .title { font-size: 14px; text-anchor: middle; fill: #1b2a41; }
    .state .name { font-size: 11px; text-anchor: middle; fill: #60708a; }
    .edge { fill: none; stroke: #5b6b84; stroke-width: 1.3; }
    .start { fill: #1b2a41; }
    .label rect { fill: #ffffff; fill-opacity: 0.92; stroke: #d5dbe5; }
    .label text { font-size: 11px; fill: #36455c; }
    .label .event { font-weight: bold; fill: #1b2a41; }
    .label .guard { fill: #8a4b00; font-family: monospace; }
    .heading { font-size: 16px; font-weight: bold; fill: #1b2a41; }
  </style>
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6b84"/></marker></defs>
`)
	fmt.Fprintf(&b, `  <text x="%.1f" y="%.1f" class="heading">%s</text>`+"\n", svgMargin, svgMargin+6, html.EscapeString(title))
	b.WriteString(edges.String())
	b.WriteString(states.String())
	b.WriteString(labels.String())
	b.WriteString("</svg>\n")
	return b.String()
}
