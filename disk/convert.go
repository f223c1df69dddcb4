package disk

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// Format is how a raw disk image is delivered, with osbuild's qemu stage
// options. Unset booleans take the caller's defaults (OsbuildDefaults).
type Format struct {
	Type        string `json:"type"` // raw, raw.xz, qcow2, vmdk, vdi, vpc, vhdx
	Compat      string `json:"compat"`
	Compression *bool  `json:"compression"`
	Subformat   string `json:"subformat"`
	AdapterType string `json:"adapter_type"`
	ForceSize   *bool  `json:"force_size"`
	Compat6     bool   `json:"compat6"`
}

// OsbuildDefaults fills in osbuild's defaults for the qemu stage and the
// version-1 qemu assembler: qcow2 and vmdk compressed, vpc fixed-size with
// its size forced.
func (f Format) OsbuildDefaults() Format {
	yes := true
	if f.Compression == nil && (f.Type == "qcow2" || f.Type == "vmdk") {
		f.Compression = &yes
	}
	if f.Type == "vpc" {
		if f.Subformat == "" {
			f.Subformat = "fixed"
		}
		if f.ForceSize == nil {
			f.ForceSize = &yes
		}
	}
	return f
}

// Convert turns raw into out in the requested format, in the same exec
// that made raw: BuildKit's layers would not keep raw's holes. out is
// written under a temporary name and renamed into place. An uncompressed
// qcow2 image is written by writeQCOW2, which returns its block digests;
// the other formats return none.
func Convert(r Runner, raw, out string, f Format) ([]blocksum.Sum, error) {
	tmp := out + ".partial"
	defer os.Remove(tmp)
	var sums []blocksum.Sum
	switch f.Type {
	case "raw":
		return nil, os.Rename(raw, out)
	case "raw.xz":
		o, err := os.Create(tmp)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command("xz", "-T0", "-c", raw)
		cmd.Stdout = o
		err = r.Exec(cmd)
		o.Close()
		if err != nil {
			return nil, fmt.Errorf("compressing with xz: %w", err)
		}
	case "qcow2", "vmdk", "vdi", "vpc", "vhdx":
		started := time.Now()
		direct, how := hostTakesFreeMemory() && directWrites(tmp), ""
		if direct {
			how = " (direct I/O: the host takes back free memory)"
		}
		if f.Type == "qcow2" && (f.Compression == nil || !*f.Compression) {
			var err error
			if sums, err = writeQCOW2(raw, tmp, f.Compat, direct); err != nil {
				return nil, err
			}
		} else {
			args := []string{"convert", "-f", "raw", "-O", f.Type}
			if direct {
				args = append(args, "-t", "none")
			}
			if err := run(r, "qemu-img", append(append(args, f.qemuImgArgs()...), raw, tmp)...); err != nil {
				return nil, err
			}
		}
		r.Logf("converted to %s in %.1f s%s", f.Type, time.Since(started).Seconds(), how)
	default:
		return nil, fmt.Errorf("unknown image format %q", f.Type)
	}
	os.Remove(raw)
	return sums, os.Rename(tmp, out)
}

// qemuImgArgs are qemu-img convert's options for the format.
func (f Format) qemuImgArgs() []string {
	var args, opts []string
	compress := f.Compression != nil && *f.Compression
	switch f.Type {
	case "qcow2":
		compat := f.Compat
		if compat == "" {
			compat = "1.1"
		}
		opts = append(opts, "compat="+compat)
	case "vmdk":
		if f.AdapterType != "" {
			opts = append(opts, "adapter_type="+f.AdapterType)
		}
		if f.Compat6 {
			opts = append(opts, "compat6")
		}
		if f.Subformat != "" {
			opts = append(opts, "subformat="+f.Subformat)
		}
	case "vpc":
		if f.Subformat != "" {
			opts = append(opts, "subformat="+f.Subformat)
		}
		if f.ForceSize != nil && *f.ForceSize {
			opts = append(opts, "force_size=on")
		}
	}
	if compress && (f.Type == "qcow2" || f.Type == "vmdk") {
		args = append(args, "-c")
	}
	for _, o := range opts {
		args = append(args, "-o", o)
	}
	return args
}
