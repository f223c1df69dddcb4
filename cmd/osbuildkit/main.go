// Command osbuildkit builds osbuild manifests with BuildKit; it is also the
// BuildKit frontend and the helper that runs stages inside the sandbox.
package main

import (
	"os"

	"github.com/osbuildkit/osbuildkit/cmd/osbuildkit/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
