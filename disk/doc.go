// Package disk lays out and assembles partitioned disk images from a
// directory tree without loop devices or mounts: a partition table written
// by sfdisk into a plain file, filesystems written straight into their
// partitions (mkfs.ext4 -d with an offset, mkfs.fat --offset and mtools,
// mkfs.btrfs --rootdir), GRUB's BIOS boot code patched in place, and the
// result converted with qemu-img. It runs its tools through a Runner, so
// it is tested without a stage runtime; stages.Runtime is the runner in the
// build sandbox.
package disk
