package main

// The modules built into osbuildkit: the stages register themselves with
// the packages that use them; the version-1 assemblers are linked here.
import _ "github.com/osbuildkit/osbuildkit/assemblers"
