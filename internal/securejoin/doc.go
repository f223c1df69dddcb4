// Package securejoin resolves paths inside a directory tree as if the tree
// were the root filesystem, so that no path or symlink in a manifest or a
// tree leads a stage outside it.
package securejoin
