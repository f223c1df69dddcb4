// Package standin runs, natively, what a foreign tree's programs (an
// arm64 tree's on an amd64 builder) would do for the arguments that
// initramfs-tools and dpkg give them thousands of times, where each would
// otherwise be a new process under QEMU user emulation. A stand-in is a
// script in the tree whose "#!" line names this package's interpreter
// (osbuildkit-native, or osbuildkit's "native" command); arguments it does
// not handle go unchanged to the tree's own program.
//
// One stand-in serves native trees too: gzip, through which mkinitramfs
// compresses the initramfs, compresses on every core (gzip.go).
package standin
