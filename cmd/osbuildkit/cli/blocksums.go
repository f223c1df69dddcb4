package cli

import (
	"fmt"
	"os"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

func init() {
	register(command{name: blocksum.Command, summary: "(inside the build sandbox) hash a file's blocks; the output copy calls this", run: runBlocksums})
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
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit %s: %v\n", blocksum.Command, err)
		return 1
	}
	return 0
}
