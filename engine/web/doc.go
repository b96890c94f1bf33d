// Package web is the HTTP side the REST API (apps) and the web UI (ui) share:
// the session cookie and its CSRF token (Sessions), the one mapping of errors
// to HTTP statuses and bodies (Errors), request ids and recovered panics,
// and the JSON of a report, which the UI's pages and exports read so that
// they show the API's text.
//
// It sits between the engine and its two HTTP siblings: it imports engine,
// metamodel and fiber; engine does not import it, and it imports neither
// apps nor ui, so that ui needs nothing of apps (TestLayering holds every
// package to the layering of docs/architecture.md).
package web
