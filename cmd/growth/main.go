// Command growth is the one binary of the Growth platform: it checks
// definitions, plans and applies schema changes, and serves the business
// systems grown from them.
package main

import (
	"fmt"
	"os"
)

// command is one subcommand: its name, one line of help, and what it runs.
type command struct {
	name    string
	summary string
	run     func(args []string) int
}

var commands []command

func register(c command) { commands = append(commands, c) }

func usage() {
	fmt.Fprintln(os.Stderr, "usage: growth COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'growth COMMAND -h' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			os.Exit(c.run(os.Args[2:]))
		}
	}
	fmt.Fprintf(os.Stderr, "growth: unknown command %q\n\n", os.Args[1])
	usage()
	os.Exit(2)
}
