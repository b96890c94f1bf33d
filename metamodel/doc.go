// Package metamodel is Growth's definition language: the Go types for apps and
// everything in them (entities, fields, code sets, rules, forms, workflows, roles,
// reports), the YAML loader that keeps file:line:col for every node, the field-type
// and rule-function registries, and the checker.
//
// It is pure: it imports no database, HTTP or authorisation package. The engine
// consumes what this package loads; nothing here knows how records are stored.
package metamodel
