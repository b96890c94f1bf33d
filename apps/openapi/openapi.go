// Package openapi writes the OpenAPI 3.0.3 document of Growth's generic REST
// API, served at GET /api/openapi.json: for every app and entity of a loaded
// project, the list, create, get, update, delete and import operations, the
// workflow operations of entities that have a workflow, the balance and
// ledger of entities that keep or draw on one, their exports, every report,
// login and user administration, file upload and download; and a schema per
// record built from its fields' types.
//
// TestEveryRouteIsDescribed starts the real server and fails when it mounts
// a route this document does not describe, or the document describes one it
// does not serve.
//
// It describes the API; it does not serve it. It reads only the metamodel, and
// must not import the engine, fiber or anything that touches a database, so
// that the document can be built (and checked) from definitions alone.
package openapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Version is the OpenAPI version of the documents Document writes.
const Version = "3.0.3"

// ErrDuplicateOperation is returned when two operations of a project would
// share an operationId or a path (say, app "a_b" with entity "c" and app "a"
// with entity "b_c" both make list_a_b_c); OpenAPI requires them unique.
var ErrDuplicateOperation = errors.New("openapi: duplicate operation")

// Document returns the OpenAPI document for every app and entity of p, as
// indented JSON. It is deterministic: the same project and version give the
// same bytes, so a server can build it once per definition version and serve
// it with that version as its ETag. version becomes info.version; pass the
// definition hash (p.Hash).
//
// p should have loaded without problems; an entity whose fields did not check
// is still described, as far as its definition allows.
func Document(p *metamodel.Project, version string) ([]byte, error) {
	return DocumentHiding(p, version, nil)
}

// Hidden reports whether field of e is left out of a document.
type Hidden func(e *metamodel.Entity, field string) bool

// DocumentHiding is Document without the fields hidden says are hidden: they
// are left out of every record, create and update schema, their labels and
// files, and a computed field that reads one is described without its
// expression. The server writes one document for callers without a login
// (HiddenFromAnyRole) and one per set of roles (what those roles may see).
func DocumentHiding(p *metamodel.Project, version string, hidden Hidden) ([]byte, error) {
	if p == nil {
		return nil, errors.New("openapi: no project")
	}
	if hidden == nil {
		hidden = func(*metamodel.Entity, string) bool { return false }
	}
	b := &builder{
		hidden: hidden,
		doc: &document{
			OpenAPI:    Version,
			Info:       info{Title: "Growth", Version: version, Description: description(p)},
			Security:   authenticated(),
			Paths:      newOrdered[*pathItem](),
			Components: sharedComponents(),
		},
		operations: map[string]string{},
	}
	addSharedSchemas(b.doc.Components.Schemas, p)
	if err := b.addSystemPaths(); err != nil {
		return nil, err
	}
	if err := b.addAuthPaths(); err != nil {
		return nil, err
	}
	for _, a := range p.Apps {
		b.doc.Tags = append(b.doc.Tags, tag{Name: a.Name, Description: appTitle(a)})
		for _, e := range a.Entities {
			if err := b.addEntity(e); err != nil {
				return nil, err
			}
		}
		for _, r := range a.Reports {
			if err := b.addReportPaths(a, r); err != nil {
				return nil, err
			}
		}
	}
	if err := b.addFilePaths(); err != nil {
		return nil, err
	}
	if HasBooks(p) {
		addBooksSchemas(b.doc.Components.Schemas)
		if err := b.addBooksPaths(); err != nil {
			return nil, err
		}
		b.doc.Tags = append(b.doc.Tags, tag{Name: booksTag, Description: "The accounting books: vouchers, periods, trial balance and ledgers (admin)."})
	}
	b.doc.Tags = append(b.doc.Tags,
		tag{Name: authTag, Description: "Login, logout, the current user and user administration."},
		tag{Name: systemTag, Description: "The server itself."})
	return encode(b.doc)
}

// addSharedSchemas adds the schemas that belong to no app, before those of
// the apps, so that they come first in the document: the file, import and
// user schemas always, those of approvals, ledgers and reports when some
// entity or report needs them.
func addSharedSchemas(schemas *ordered[*schema], p *metamodel.Project) {
	schemas.Set("File", fileInfoSchema())
	addImportSchemas(schemas)
	addUserSchemas(schemas, p)
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			if e.Workflow != nil {
				addApprovalSchemas(schemas)
			}
			if keepsLedger(e) {
				addLedgerSchemas(schemas)
			}
		}
		if len(a.Reports) > 0 {
			addReportColumnSchema(schemas)
		}
	}
}

// addEntity adds the schemas and operations of entity e: its records, their
// import, and what its definition adds (a workflow, a balance or draws on
// one, exports).
func (b *builder) addEntity(e *metamodel.Entity) error {
	addEntitySchemas(b.doc.Components.Schemas, e, func(f *metamodel.Field) bool { return f.Owner == nil || !b.hidden(f.Owner, f.Name) })
	if err := b.addRecordPaths(e); err != nil {
		return err
	}
	if err := b.addImportPath(e); err != nil {
		return err
	}
	if e.Workflow != nil {
		addWorkflowSchemas(b.doc.Components.Schemas, e)
		if err := b.addWorkflowPaths(e); err != nil {
			return err
		}
	}
	if err := b.addLedgerPaths(e); err != nil {
		return err
	}
	return b.addExportPath(e)
}

// systemTag groups the operations that belong to no app; authTag those of
// users and sessions.
const (
	systemTag = "system"
	authTag   = "auth"
)

// builder collects paths and checks that operations stay unique.
type builder struct {
	doc    *document
	hidden Hidden
	// operations maps each operationId and each path to where it was first
	// used, to report a duplicate.
	operations map[string]string
}

// add adds the path item at path; every path and operationId may occur once.
func (b *builder) add(path string, item *pathItem) error {
	if prev, dup := b.operations["path "+path]; dup {
		return fmt.Errorf("%w: path %s is described twice (%s)", ErrDuplicateOperation, path, prev)
	}
	b.operations["path "+path] = path
	for _, mo := range []struct {
		method string
		op     *operation
	}{{"GET", item.Get}, {"POST", item.Post}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
		if mo.op == nil {
			continue
		}
		where := mo.method + " " + path
		if prev, dup := b.operations[mo.op.OperationID]; dup {
			return fmt.Errorf("%w: operationId %s of %s is already used by %s; rename an app or entity", ErrDuplicateOperation, mo.op.OperationID, where, prev)
		}
		b.operations[mo.op.OperationID] = where
	}
	b.doc.Paths.Set(path, item)
	return nil
}

// addSystemPaths adds the health check and this document itself.
func (b *builder) addSystemPaths() error {
	health := &operation{
		Tags:        []string{systemTag},
		Summary:     "Health check",
		Description: "Answers ok while the server is up, or degraded followed by a line for each part that is not working (such as the exchange: its broker is unreachable, and outbound messages wait in the outbox); both with 200, since the server still serves. Needs no token.",
		OperationID: "healthz",
		Responses: orderedResponses("200", &response{
			Description: "The server is up: ok, or degraded and what is not working.",
			Content:     map[string]*mediaType{"text/plain": {Schema: &schema{Type: "string", Example: "ok"}}},
		}),
		Security: public(),
	}
	if err := b.add("/healthz", &pathItem{Get: health}); err != nil {
		return err
	}
	ready := &operation{
		Tags:        []string{systemTag},
		Summary:     "Readiness check",
		Description: "Answers ok when this server can serve: the database answers and was migrated to this server's definitions. A load balancer sends requests only to ready servers. Needs no token.",
		OperationID: "readyz",
		Responses: func() *ordered[*response] {
			out := orderedResponses("200", &response{
				Description: "Ready.",
				Content:     map[string]*mediaType{"text/plain": {Schema: &schema{Type: "string", Example: "ok"}}},
			})
			errorRefs(out, "503")
			return out
		}(),
		Security: public(),
	}
	if err := b.add("/readyz", &pathItem{Get: ready}); err != nil {
		return err
	}
	spec := &operation{
		Tags:        []string{systemTag},
		Summary:     "This OpenAPI document",
		Description: "The OpenAPI " + Version + " document of this API, generated from the definitions; info.version is the definition version. Needs no token.",
		OperationID: "openapi",
		Responses:   responses("200", "The document.", &schema{Type: "object"}),
		Security:    public(),
	}
	return b.add("/api/openapi.json", &pathItem{Get: spec})
}

// orderedResponses is responses of one status.
func orderedResponses(status string, r *response) *ordered[*response] {
	out := newOrdered[*response]()
	out.Set(status, r)
	return out
}

// description introduces the API and lists the apps.
func description(p *metamodel.Project) string {
	var sb strings.Builder
	sb.WriteString("The REST API of the business systems defined in this Growth project, generated from their definitions. ")
	sb.WriteString("Every operation needs a bearer token from POST /api/auth/login, except the health check, this document, login itself and public reports. ")
	sb.WriteString("Money and decimals are exact and travel as strings (\"1234.56\"); every error has the shape of the Error schema.\n\n")
	sb.WriteString("Apps:\n")
	for _, a := range p.Apps {
		fmt.Fprintf(&sb, "\n- `%s`: %s", a.Name, appTitle(a))
		if a.Description != "" {
			sb.WriteString(". " + strings.TrimSpace(a.Description))
		}
	}
	return sb.String()
}

// appTitle is the app's title with its English title, or its name.
func appTitle(a *metamodel.App) string {
	title := metamodel.JoinNonEmpty(" / ", a.Title, a.TitleEn)
	if title == "" {
		return a.Name
	}
	return title
}

// HiddenFromAnyRole hides every field that some role of p has hidden: what a
// caller without a login may learn of the project's records.
func HiddenFromAnyRole(p *metamodel.Project) Hidden {
	hidden := map[*metamodel.Entity]map[string]bool{}
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			for _, fr := range r.Fields {
				e := p.Entity(a, fr.Name)
				if e == nil {
					continue
				}
				if hidden[e] == nil {
					hidden[e] = map[string]bool{}
				}
				for _, name := range fr.Hidden {
					hidden[e][name] = true
				}
			}
		}
	}
	return func(e *metamodel.Entity, field string) bool { return hidden[e][field] }
}
