// Package assemblers implements osbuild's version-1 assemblers (tar, qemu,
// oci-archive, ostree.commit): the single step of the "assembler" pipeline
// a version-1 or dialect manifest's assembler becomes. They register into
// the stages registry with kind manifest.KindAssembler.
package assemblers
