package stages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// org.osbuild.qemu: convert the raw disk image of the "image"
// input (org.osbuild.files from a pipeline: {"name:X": {"file": "disk.raw"}})
// into filename, with qemu-img (qcow2, vmdk, vdi, vpc, vhdx) or xz (raw.xz).
func init() {
	Define(Definition[qemuOptions]{Type: "org.osbuild.qemu", Plan: planQemu, Run: runQemu})
}

type qemuOptions struct {
	Filename string      `json:"filename"`
	Format   disk.Format `json:"format"`
}

func planQemu(_ *Context, o *qemuOptions) (*Plan, error) {
	plan := InBuildroot()
	plan.Outputs = []string{o.Filename}
	return plan, nil
}

func runQemu(rt *Runtime, o *qemuOptions) error {
	in, ok := rt.Inputs["image"]
	if !ok {
		return fmt.Errorf("the stage has no input \"image\"")
	}
	src := ""
	for _, ref := range in.Refs {
		var opts struct {
			File string `json:"file"`
		}
		if err := json.Unmarshal(ref, &opts); err != nil {
			return fmt.Errorf("input \"image\": %w", err)
		}
		if opts.File != "" {
			p, err := securejoin.Join(in.Path, opts.File)
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
	return disk.Convert(rt, src, out, o.Format)
}
