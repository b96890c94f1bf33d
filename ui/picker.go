package ui

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// The pickers. A code field of a large code set (fiscal divisions, banks,
// agencies) is a text input for the code plus a tree that can be browsed a
// level at a time or searched by code or name; where the field takes leaf
// codes only, branch codes can be opened but not chosen. In a form of an
// entity with a year_field the tree (and a small set's select) offers only
// the codes valid in the record's fiscal year (?year=); the engine refuses
// any other code when the record is saved, which stays the guard where a
// code is typed by hand. A ref field is a number input plus a search over
// the referenced entity's records, through rt.List with the user's data
// scope. With htmx the results appear under the input as the user types;
// without scripts the same URLs are full pages.

// maxPickerItems caps one picker answer.
const maxPickerItems = 50

type codesView struct {
	Lang     Lang
	Title    string
	CodeSet  string
	Query    string
	Parent   string
	Target   string
	LeafOnly bool
	// Year limits the codes to those valid in that fiscal year (0: any).
	Year    int
	Items   []codeItem
	More    int
	Path    []codeItem
	RootURL string
}

type codeItem struct {
	Code, Name, Path string
	Leaf             bool
	Pickable         bool
	ExpandURL        string
}

func (u *UI) codes(r *request) error {
	cs := u.rt.Project.CodeSet(r.c.Params("codeset"))
	if cs == nil {
		return engine.NotFound("代码集 %s", r.c.Params("codeset"))
	}
	view := &codesView{Lang: r.lang, Title: r.lang.T("codes.title", r.lang.pick(cs.Label(), cs.TitleEn)), CodeSet: cs.Name, Query: searchText(r),
		Parent: r.c.Query("parent"), Target: r.c.Query("target"), LeafOnly: r.c.Query("leaf") == "1", Year: queryYear(r)}
	keep := url.Values{}
	if view.LeafOnly {
		keep.Set("leaf", "1")
	}
	if view.Year > 0 {
		keep.Set("year", strconv.Itoa(view.Year))
	}
	if view.Target != "" {
		keep.Set("target", view.Target)
	}
	view.RootURL = "/ui/codes/" + url.PathEscape(cs.Name) + "?" + keep.Encode()
	base := view.RootURL + "&parent="
	add := func(n *metamodel.CodeNode) {
		if len(view.Items) >= maxPickerItems {
			view.More++
			return
		}
		item := codeItem{Code: n.Code.Code, Name: n.Name, Leaf: n.Leaf(), Pickable: !view.LeafOnly || n.Leaf()}
		if !n.Leaf() {
			item.ExpandURL = base + n.Code.Code
		}
		if view.Query != "" {
			item.Path = ancestry(n)
		}
		view.Items = append(view.Items, item)
	}
	switch {
	case view.Query != "":
		q := strings.ToLower(view.Query)
		cs.Walk(func(n *metamodel.CodeNode) {
			if offered(n, view.Year) && (strings.HasPrefix(n.Code.Code, q) || strings.Contains(strings.ToLower(n.Name), q)) {
				add(n)
			}
		})
	case view.Parent != "" && cs.Lookup(view.Parent) != nil:
		parent := cs.Lookup(view.Parent)
		for p := parent; p != nil; p = p.Parent {
			view.Path = append([]codeItem{{Code: p.Code.Code, Name: p.Name, ExpandURL: base + p.Code.Code}}, view.Path...)
		}
		for _, n := range parent.Children {
			if offered(n, view.Year) {
				add(n)
			}
		}
	default:
		for _, n := range cs.Roots() {
			if offered(n, view.Year) {
				add(n)
			}
		}
	}
	if r.c.Get("HX-Request") == "true" {
		return u.fragment(r, "codes", "code-items", view)
	}
	return u.render(r, 200, "codes", u.newPage(r, view.Title, view))
}

// codeOptionsFragment answers a code select's options for another year: where
// scripts run, a form's select of a small code set is refreshed when the
// year field changes (?year=, ?value= the code chosen so far, ?leaf=1).
func (u *UI) codeOptionsFragment(r *request) error {
	cs := u.rt.Project.CodeSet(r.c.Params("codeset"))
	if cs == nil {
		return engine.NotFound("代码集 %s", r.c.Params("codeset"))
	}
	opts := codeOptions(r.lang, cs, r.c.Query("leaf") == "1", queryYear(r), strings.TrimSpace(r.c.Query("value")))
	return u.fragment(r, "codes", "options", opts)
}

// queryYear is the fiscal year a picker request names, or 0 (any year).
func queryYear(r *request) int {
	y, err := strconv.Atoi(normalizeNumber(r.c.Query("year")))
	if err != nil || y < 0 {
		return 0
	}
	return y
}

// ancestry is "205 教育 › 20502 普通教育" for a code's parents.
func ancestry(n *metamodel.CodeNode) string {
	var parts []string
	for p := n.Parent; p != nil; p = p.Parent {
		parts = append([]string{p.Code.Code + " " + p.Name}, parts...)
	}
	return strings.Join(parts, " › ")
}

type refsView struct {
	Lang   Lang
	Title  string
	Query  string
	Target string
	Items  []refItem
	URL    string
}

type refItem struct {
	ID    int64
	Label string
	URL   string
}

func (u *UI) refs(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	view := &refsView{Lang: r.lang, Title: r.lang.EntityTitle(e), Query: searchText(r), Target: r.c.Query("target"), URL: "/ui/ref/" + e.App.Name + "/" + e.Name}
	q := engine.ListQuery{PageSize: 20}
	if cond := refCondition(u.rt, r.actor, e, view.Query); cond != nil {
		q.Filter = cond.String()
	}
	res, err := u.rt.List(r.c.UserContext(), r.actor, e.App.Name, e.Name, q)
	if err != nil {
		return err
	}
	for _, rec := range res.Items {
		label := u.recordName(r, e, rec)
		if s := u.refSummary(r, e, rec); s != "" {
			label += " " + s
		}
		view.Items = append(view.Items, refItem{ID: rec.ID, Label: label, URL: recordURL(e, rec.ID)})
	}
	if r.c.Get("HX-Request") == "true" {
		return u.fragment(r, "refs", "ref-items", view)
	}
	return u.render(r, 200, "refs", u.newPage(r, view.Title, view))
}

// refCondition finds records by number or by the text of their visible
// string fields.
func refCondition(rt *engine.Runtime, actor engine.Actor, e *metamodel.Entity, q string) filter.Node {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var terms []filter.Node
	if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && id > 0 {
		terms = append(terms, &filter.Compare{Field: "id", Op: filter.Eq, Value: filter.Value{Kind: filter.Number, Text: strconv.FormatInt(id, 10)}})
	}
	for _, f := range e.Fields {
		if f.Is(metamodel.Textual) && !rt.Access.Hidden(actor, e, f.Name) {
			terms = append(terms, &filter.Like{Field: f.Name, Pattern: text("%" + escapeLike(q) + "%")})
		}
	}
	switch len(terms) {
	case 0:
		return &filter.IsNull{Field: "id"}
	case 1:
		return terms[0]
	}
	return &filter.Or{Terms: terms}
}

// searchText is a picker's search: q on the full page, _q from the input
// inside a form (underscored so that it never collides with a field).
func searchText(r *request) string {
	if q := r.c.Query("_q"); q != "" {
		return strings.TrimSpace(q)
	}
	return strings.TrimSpace(r.c.Query("q"))
}
