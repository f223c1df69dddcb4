package stages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// qemu is org.osbuild.qemu: convert the raw disk image of the "image"
// input (org.osbuild.files from a pipeline: {"name:X": {"file": "disk.raw"}})
// into filename, with qemu-img (qcow2, vmdk, vdi, vpc, vhdx) or xz (raw.xz).
type qemu struct{}

var _ Runner = qemu{}

func init() { Register(manifest.KindStage, qemu{}) }

func (qemu) Type() string { return "org.osbuild.qemu" }

type qemuOptions struct {
	Filename string      `json:"filename"`
	Format   ImageFormat `json:"format"`
}

func (qemu) Plan(st *manifest.Stage) (*Plan, error) {
	var o qemuOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	plan := execInBuildroot()
	plan.Outputs = []string{o.Filename}
	return plan, nil
}

func (qemu) Run(rt *Runtime) error {
	var o qemuOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	in, ok := rt.Inputs["image"]
	if !ok {
		return fmt.Errorf("the stage has no input \"image\"")
	}
	src := ""
	for _, ref := range in.Refs {
		var opts struct {
			File string `json:"file"`
		}
		_ = json.Unmarshal(ref, &opts)
		if opts.File != "" {
			p, err := SecureJoin(in.Path, opts.File)
			if err != nil {
				return err
			}
			src = p
		}
	}
	if src == "" {
		entries, _ := os.ReadDir(in.Path)
		if len(entries) != 1 {
			return fmt.Errorf("input \"image\": name the file ({\"name:PIPELINE\": {\"file\": \"disk.raw\"}})")
		}
		src = filepath.Join(in.Path, entries[0].Name())
	}
	out, err := rt.Path("/" + o.Filename)
	if err != nil {
		return err
	}
	// Convert consumes its input; the input is read-only, so work on a copy
	// only for raw output.
	if o.Format.Type == "raw" {
		return rt.Run("cp", "--sparse=always", src, out)
	}
	return Convert(rt, src, out, o.Format)
}
