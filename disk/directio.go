package disk

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// A disk image is converted with direct I/O (qemu-img -t none) on a
// virtual machine whose host takes back the guest's free memory (a virtio
// balloon reporting free pages, as Firecracker's and QEMU's can): there,
// every page the page cache takes anew costs a fault on the host, and the
// 700 MB a converted image puts in the cache cost 1.2–1.8 s where the
// disk takes 0.4–0.5 s to write them. Elsewhere a buffered write costs
// memory bandwidth only and the disk is written later, so the page cache
// stays in use (a slow disk would make direct writes the slower ones).

// balloonDrivers is where the kernel lists the virtio balloons.
const balloonDrivers = "/sys/bus/virtio/drivers/virtio_balloon"

// freePageReporting is virtio's VIRTIO_BALLOON_F_REPORTING feature bit.
const freePageReporting = 5

// hostTakesFreeMemory says whether this machine's free memory is
// reported to its host, read once.
var hostTakesFreeMemory = sync.OnceValue(func() bool { return reportsFreePages(balloonDrivers) })

// reportsFreePages says whether a balloon device under dir negotiated
// free page reporting: its features file is one character per feature
// bit, '1' where the bit is on.
func reportsFreePages(dir string) bool {
	devs, _ := filepath.Glob(filepath.Join(dir, "virtio*", "features"))
	for _, f := range devs {
		b, err := os.ReadFile(f)
		if err == nil && len(b) > freePageReporting && b[freePageReporting] == '1' {
			return true
		}
	}
	return false
}

// directWrites says whether a file at path can be created for direct
// I/O (tmpfs, for one, refuses it); it leaves no file behind.
func directWrites(path string) bool {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_DIRECT, 0o644)
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(path)
	return true
}

// HostTakesFreeMemory says whether this machine's free memory is reported
// to its host, so that large files are better written with direct I/O.
func HostTakesFreeMemory() bool { return hostTakesFreeMemory() }
