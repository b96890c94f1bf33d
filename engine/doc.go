// Package engine is Growth's runtime: schema sync (plan, apply), the record
// store, rules, the audit trail, and the Runtime façade that the REST API and
// the web UI both call.
//
// It imports metamodel and the database drivers; it must not import fiber or
// anything HTTP, and nothing in it names a business system: an app needs only
// definitions.
package engine
