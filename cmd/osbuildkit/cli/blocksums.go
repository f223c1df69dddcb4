package cli

import (
	"fmt"
	"os"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

func init() {
	register(command{name: blocksum.Command, summary: "(inside the build sandbox) hash a file's blocks; the output copy calls this", run: runBlocksums})
	register(command{name: blocksum.PackCommand, summary: "(inside the build sandbox) gather runs of a file's bytes into one file; the output copy calls this", run: runBlockpack})
}

// runBlocksums writes the block digests of the file args[0] to args[1].
func runBlocksums(e *env, args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(e.stderr, "usage: osbuildkit %s FILE OUT\n", blocksum.Command)
		return 2
	}
	sums, err := blocksum.File(args[0])
	if err == nil {
		err = os.WriteFile(args[1], blocksum.Encode(sums), 0o644)
	}
	return sandboxDone(e, blocksum.Command, err)
}

// runBlockpack writes the runs (args[1]) of the file args[0] to args[2].
func runBlockpack(e *env, args []string) int {
	if len(args) != 3 {
		fmt.Fprintf(e.stderr, "usage: osbuildkit %s FILE RUNS OUT\n", blocksum.PackCommand)
		return 2
	}
	b, err := os.ReadFile(args[1])
	var runs []blocksum.Run
	if err == nil {
		runs, err = blocksum.DecodeRuns(b)
	}
	if err == nil {
		err = blocksum.Pack(args[0], runs, args[2])
	}
	return sandboxDone(e, blocksum.PackCommand, err)
}

// sandboxDone is the exit status of the subcommand name, printing err.
func sandboxDone(e *env, name string, err error) int {
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit %s: %v\n", name, err)
		return 1
	}
	return 0
}
