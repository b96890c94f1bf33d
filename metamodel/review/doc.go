// Package review is what an auditor reads about a set of definitions: the
// who-can-do-what matrix of every app (role × entity × action, workflow
// events included), findings (segregation of duties, transitions without a
// role, guards that can never be true, states that cannot be reached or left,
// large amounts approved without a quorum), a change list between two
// versions of the definitions in business terms, and workflow diagrams
// (Mermaid, Graphviz DOT, and SVG drawn here without external tools).
//
// It is pure like metamodel: it reads loaded definitions and writes text; it
// imports no database, HTTP or authorisation package, so the command line and
// the web UI can both use it.
package review
