// Command osbuildkit-native interprets the native stand-ins that a build
// puts in a foreign tree (package standin). It is osbuildkit's "native"
// command in a program small enough to start in about a millisecond: it
// runs once for every file mkinitramfs copies and every package dpkg
// unpacks. Builds mount it beside the osbuildkit helper.
package main

import (
	"os"

	"github.com/osbuildkit/osbuildkit/internal/standin"
)

func main() {
	os.Exit(standin.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
