package disk

import (
	"fmt"
	"os"
	"os/exec"
)

// Format is how a raw disk image is delivered.
type Format struct {
	Type        string `json:"type"` // raw, raw.xz, qcow2, vmdk, vdi, vpc, vhdx
	Compat      string `json:"compat"`
	Compression bool   `json:"compression"`
	Subformat   string `json:"subformat"`
	AdapterType string `json:"adapter_type"`
	ForceSize   *bool  `json:"force_size"`
}

// Convert turns raw into out in the requested format, in the same exec
// that made raw: BuildKit's layers would not keep raw's holes. out is
// written under a temporary name and renamed into place.
func Convert(r Runner, raw, out string, f Format) error {
	tmp := out + ".partial"
	defer os.Remove(tmp)
	switch f.Type {
	case "raw":
		return os.Rename(raw, out)
	case "raw.xz":
		o, err := os.Create(tmp)
		if err != nil {
			return err
		}
		cmd := exec.Command("xz", "-T0", "-c", raw)
		cmd.Stdout = o
		err = r.Exec(cmd)
		o.Close()
		if err != nil {
			return fmt.Errorf("compressing with xz: %w", err)
		}
	case "qcow2", "vmdk", "vdi", "vpc", "vhdx":
		args := []string{"convert", "-f", "raw", "-O", f.Type}
		var opts []string
		switch f.Type {
		case "qcow2":
			compat := f.Compat
			if compat == "" {
				compat = "1.1"
			}
			opts = append(opts, "compat="+compat)
			if f.Compression {
				args = append(args, "-c")
			}
		case "vmdk":
			if f.Subformat != "" {
				opts = append(opts, "subformat="+f.Subformat)
			}
			if f.AdapterType != "" {
				opts = append(opts, "adapter_type="+f.AdapterType)
			}
		case "vpc":
			if f.Subformat != "" {
				opts = append(opts, "subformat="+f.Subformat)
			}
			if f.ForceSize != nil && *f.ForceSize {
				opts = append(opts, "force_size=on")
			}
		}
		for _, o := range opts {
			args = append(args, "-o", o)
		}
		if err := run(r, "qemu-img", append(args, raw, tmp)...); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown image format %q", f.Type)
	}
	os.Remove(raw)
	return os.Rename(tmp, out)
}
