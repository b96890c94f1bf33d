package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/growth-gov/growth/metamodel"
)

func init() {
	register(command{name: "schema", summary: "print the JSON Schema of definition files (for editors)", run: runSchema})
}

// runSchema prints the schema that docs/definitions.schema.json holds:
//
//	go run ./cmd/growth schema > docs/definitions.schema.json
func runSchema(args []string) int {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth schema > docs/definitions.schema.json")
		fmt.Fprintln(fs.Output(), "Prints the JSON Schema (draft-07) of definition files, generated from the definition types.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	schema, err := metamodel.JSONSchema()
	if err != nil {
		fmt.Fprintln(os.Stderr, "growth schema:", err)
		return 1
	}
	if _, err := os.Stdout.Write(schema); err != nil {
		fmt.Fprintln(os.Stderr, "growth schema:", err)
		return 1
	}
	return 0
}
