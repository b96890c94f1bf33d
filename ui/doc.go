// Package ui is the web interface end users and auditors see: the login
// page, the portal, list pages with filters and exports, forms (with file
// uploads and code pickers that follow the record's fiscal year), record
// pages with workflow buttons, history and balances, report pages (and public
// report pages without login), import from CSV and Excel, the auditor's
// pages, and user administration for admins. Every screen is generated at
// runtime from the loaded definitions, rendered on the server with
// html/template and usable without JavaScript; htmx (vendored in static/,
// embedded in the binary) and a small script of our own improve the pickers
// and money inputs where scripts run.
//
// The UI holds no business rule of its own: every read and write goes through
// the same engine.Runtime and engine.Users methods as the REST API (one code
// path), the session and CSRF checks are web.Sessions', and errors map to
// HTTP statuses in engine/web (web.Errors), which the API uses too. It
// imports engine, engine/web and metamodel, never apps (a test holds it to
// that); nothing imports it but cmd.
package ui
