package stages

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// A FAT filesystem on a loopback device over a whole file in the tree (as
// osbuild's manifests make an ISO's efiboot.img) is written with the FAT
// tools themselves, mkfs.fat on the file and mtools' mcopy into it,
// without a loop device, a mount or privileges: the kernels of our
// builders may not even have vfat.

// fatImageDevice is the tree file a loopback device covers whole, if it
// does.
func fatImageDevice(typ, parent string, options json.RawMessage) (string, bool) {
	if typ != "org.osbuild.loopback" || parent != "" {
		return "", false
	}
	o, err := decodeOptions[loopbackOptions](options)
	if err != nil || o.Start != 0 || o.Size != 0 || o.Partscan || o.ReadOnly || o.SectorSize != 0 && o.SectorSize != 512 || o.Filename == "" {
		return "", false
	}
	return "/" + strings.TrimLeft(strings.TrimPrefix(o.Filename, "tree://"), "/"), true
}

// planFATImages says whether every device of the stage covers a whole
// tree file and every mount is FAT on one: the stage then needs no
// privileges.
func planFATImages(st *manifest.Stage) bool {
	if len(st.Devices) == 0 {
		return false
	}
	for _, d := range st.Devices {
		raw, err := json.Marshal(d.Options)
		if _, ok := fatImageDevice(d.Type, d.Parent, raw); err != nil || !ok {
			return false
		}
	}
	for _, m := range st.Mounts {
		if m.Type != "org.osbuild.fat" || m.Partition != 0 || len(m.Options) > 0 {
			return false
		}
	}
	return true
}

// fatImages is planFATImages on the helper's side: the image file of each
// mount, by name, or false.
func (rt *Runtime) fatImages() (map[string]string, bool) {
	if len(rt.Devices) == 0 {
		return nil, false
	}
	files := map[string]string{}
	for name, d := range rt.Devices {
		f, ok := fatImageDevice(d.Type, d.Parent, d.Options)
		if !ok {
			return nil, false
		}
		files[name] = f
	}
	images := map[string]string{}
	for _, m := range rt.Mounts {
		var opts map[string]any
		if len(m.Options) > 0 && json.Unmarshal(m.Options, &opts) != nil || m.Type != "org.osbuild.fat" || m.Partition != 0 || len(opts) > 0 {
			return nil, false
		}
		f, err := rt.Path(files[m.Source])
		if err != nil {
			return nil, false
		}
		images[m.Name] = f
	}
	return images, true
}

// mcopy copies src (its contents when contents) to dir, a directory in the
// FAT image image, as cp -a would: recursively, times kept.
func (rt *Runtime) mcopy(image, src string, contents bool, dir string) error {
	srcs := []string{src}
	if contents {
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		srcs = srcs[:0]
		for _, e := range entries {
			srcs = append(srcs, filepath.Join(src, e.Name()))
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	cmd := rt.Command("mcopy", append(append([]string{"-s", "-p", "-m", "-D", "o", "-i", image}, srcs...), "::"+dir)...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	return rt.Exec(cmd)
}
