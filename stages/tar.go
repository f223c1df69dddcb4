package stages

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// org.osbuild.tar: archive the "tree" input into filename in this
// pipeline's tree, with osbuild's defaults: ACLs, SELinux labels and
// extended attributes kept, owners by name and number ("numeric-owner"
// for numbers only), holes kept only with "sparse", compression "auto"
// (from the file name, as tar's --auto-compress), "transform" passed to
// tar. Entries are sorted by name and, with the pipeline's source-epoch,
// mtimes are clamped to it. gzip, xz, zstd and bzip2 compress on every
// core (pigz, xz -T0, zstd -T0, pbzip2). The v1 assembler of the same name
// shares this implementation; it compresses only when asked.
func init() {
	Define(Definition[TarOptions]{Type: "org.osbuild.tar", Plan: PlanTar, Run: RunTar})
}

// TarOptions are org.osbuild.tar's options, the stage's and the
// assembler's.
type TarOptions struct {
	Filename     string   `json:"filename"`
	Compression  string   `json:"compression"`
	Format       string   `json:"format"`
	ACLs         *bool    `json:"acls"`
	SELinux      *bool    `json:"selinux"`
	Xattrs       *bool    `json:"xattrs"`
	RootNode     string   `json:"root-node"`
	NumericOwner bool     `json:"numeric-owner"`
	Paths        []string `json:"paths"`
	Sparse       bool     `json:"sparse"`
	Transform    string   `json:"transform"`
}

// RunTarAssembler is the v1 assembler: no compression unless asked.
func RunTarAssembler(rt *Runtime, o *TarOptions) error {
	if o.Compression == "" {
		o.Compression = "none"
	}
	return RunTar(rt, o)
}

// PlanTar checks the input and runs tar in the buildroot.
func PlanTar(c *Context, o *TarOptions) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	return outputPlan(c, o.Filename)
}

// tarCompressors lists, per compression, the programs to try: the
// parallel one first, then the one every buildroot has.
var tarCompressors = map[string][]string{
	"gzip":  {"pigz -n", "gzip -n"},
	"xz":    {"xz -T0"},
	"zstd":  {"zstd -T0 -q"},
	"bzip2": {"pbzip2", "bzip2"},
	"lzip":  {"lzip"},
	"lzma":  {"xz --format=lzma"},
	"lzop":  {"lzop"},
	"none":  nil,
}

// autoCompression is the compression tar's --auto-compress picks for a
// file name.
func autoCompression(filename string) string {
	for _, s := range []struct{ suffix, compression string }{
		{".gz", "gzip"}, {".tgz", "gzip"}, {".taz", "gzip"}, {".xz", "xz"}, {".txz", "xz"},
		{".zst", "zstd"}, {".tzst", "zstd"}, {".bz2", "bzip2"}, {".tbz", "bzip2"}, {".tbz2", "bzip2"}, {".tz2", "bzip2"},
		{".lz", "lzip"}, {".lzma", "lzma"}, {".tlz", "lzma"}, {".lzo", "lzop"},
	} {
		if strings.HasSuffix(filename, s.suffix) {
			return s.compression
		}
	}
	return "none"
}

// compressor picks the first available program for a compression.
func compressor(name string, lookPath func(string) (string, error)) ([]string, error) {
	progs, ok := tarCompressors[name]
	if !ok {
		return nil, fmt.Errorf("unknown compression %q", name)
	}
	if len(progs) == 0 {
		return nil, nil
	}
	for _, p := range progs {
		if _, err := lookPath(strings.Fields(p)[0]); err == nil {
			return []string{"--use-compress-program=" + p}, nil
		}
	}
	return nil, fmt.Errorf("compression %s needs %s in the buildroot", name, strings.Fields(progs[len(progs)-1])[0])
}

// RunTar writes the archive under a temporary name and renames it into
// place.
func RunTar(rt *Runtime, o *TarOptions) error {
	src, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	args := tarArgs(o, rt.SourceEpoch)
	compression := o.Compression
	if compression == "" || compression == "auto" {
		compression = autoCompression(o.Filename)
	}
	comp, err := compressor(compression, exec.LookPath)
	if err != nil {
		return err
	}
	args = append(args, comp...)
	out, err := rt.Path("/" + o.Filename)
	if err != nil {
		return err
	}
	tmp := out + ".partial"
	args = append(args, "--file", tmp, "--directory", src)
	members, err := tarMembers(src, o)
	if err != nil {
		return err
	}
	if err := rt.Run("tar", append(args, members...)...); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

func tarArgs(o *TarOptions, epoch *int64) []string {
	format := o.Format
	if format == "" {
		format = "gnu"
	}
	args := []string{"--create", "--format=" + format, "--sort=name"}
	if o.NumericOwner {
		args = append(args, "--numeric-owner")
	}
	if o.ACLs == nil || *o.ACLs {
		args = append(args, "--acls")
	}
	if o.SELinux == nil || *o.SELinux {
		args = append(args, "--selinux")
	}
	if o.Xattrs == nil || *o.Xattrs {
		args = append(args, "--xattrs", "--xattrs-include=*")
	}
	if o.Sparse {
		args = append(args, "--sparse")
	}
	if o.Transform != "" {
		args = append(args, "--transform", o.Transform)
	}
	extended := o.ACLs == nil || *o.ACLs || o.SELinux == nil || *o.SELinux || o.Xattrs == nil || *o.Xattrs
	return append(args, epochArgs(format, extended, epoch)...)
}

// epochArgs clamp the archive's mtimes to the pipeline's source-epoch and
// leave out the extended headers' atime and ctime (the build's times) and
// process ID: GNU tar writes such headers in the pax format, and in the
// gnu format too when it keeps ACLs, SELinux labels or xattrs.
func epochArgs(format string, extended bool, epoch *int64) []string {
	if epoch == nil {
		return nil
	}
	args := []string{"--mtime=@" + strconv.FormatInt(*epoch, 10), "--clamp-mtime"}
	if format == "pax" || format == "posix" || format == "gnu" && extended {
		args = append(args, "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime")
	}
	return args
}

// tarMembers lists what to archive: "." (root-node include), the tree's
// top-level entries (omit), or the given paths.
func tarMembers(src string, o *TarOptions) ([]string, error) {
	if len(o.Paths) > 0 {
		return o.Paths, nil
	}
	if o.RootNode != "omit" {
		return []string{"."}, nil
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []string{"--files-from=/dev/null"}, nil
	}
	return names, nil
}
