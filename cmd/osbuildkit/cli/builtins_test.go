package cli

// The binary links the version-1 assemblers (cmd/osbuildkit/builtins.go);
// so do the tests of its commands.
import _ "github.com/osbuildkit/osbuildkit/assemblers"
