package stages

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.sfdisk: a partition table written with sfdisk, as osbuild
// writes it: the table's label and id, and per partition start and size
// (in sectors), type, name, uuid, bootable and GPT attribute bits (0, 1, 2
// by name, 48-63 by number); "partnum" places a partition in that slot.
// On osbuild's "device" (a loopback over a file) it needs
// security.insecure; osbuildkit also takes "filename" instead, a file in
// the tree partitioned without privileges.
func init() {
	Define(Definition[sfdiskOptions]{Type: "org.osbuild.sfdisk", Plan: func(c *Context, o *sfdiskOptions) (*Plan, error) { return planPartitionTable(c, o.Filename) }, Run: runSfdisk})
}

type sfdiskOptions struct {
	Label      string           `json:"label"`
	UUID       string           `json:"uuid"`
	Filename   string           `json:"filename"`
	Partitions []tablePartition `json:"partitions"`
}

// tablePartition is a partition of sfdisk's and sgdisk's tables.
type tablePartition struct {
	Start    int64  `json:"start"`
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	UUID     string `json:"uuid"`
	Name     string `json:"name"`
	Bootable bool   `json:"bootable"`
	Attrs    []int  `json:"attrs"`
	PartNum  int    `json:"partnum"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (p *tablePartition) UnmarshalJSON(b []byte) error {
	type plain tablePartition
	return json.Unmarshal(b, (*plain)(p))
}

// planPartitionTable is sfdisk's and sgdisk's plan: a device, or a file
// in the tree.
func planPartitionTable(c *Context, filename string) (*Plan, error) {
	hasDevice := c.Device("device") != nil
	switch {
	case hasDevice && filename != "":
		return nil, c.OptionError(manifest.Path{"filename"}, "give either a device or a filename, not both")
	case hasDevice:
		return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
	case filename == "":
		return nil, c.OptionError(nil, "say where the partition table goes: a loopback device named \"device\", or (osbuildkit) \"filename\", a file in the tree, unprivileged")
	}
	if _, err := manifest.TreePath(filename); err != nil {
		return nil, c.OptionError(manifest.Path{"filename"}, "%v", err)
	}
	return InBuildroot(), nil
}

func runSfdisk(rt *Runtime, o *sfdiskOptions) error {
	target, detach, err := partitionTarget(rt, o.Filename)
	if err != nil {
		return err
	}
	defer detach()
	cmd := rt.Command("sfdisk", "-q", "--no-tell-kernel", target)
	cmd.Stdin = strings.NewReader(sfdiskScript(o, target))
	return rt.Exec(cmd)
}

// partitionTarget is the file or device the table goes to.
func partitionTarget(rt *Runtime, filename string) (string, func(), error) {
	if filename == "" {
		detach, err := rt.Attach()
		if err != nil {
			return "", nil, err
		}
		return rt.DevicePaths["device"], detach, nil
	}
	p, err := manifest.TreePath(filename)
	if err != nil {
		return "", nil, err
	}
	full, err := rt.Path(p)
	return full, func() {}, err
}

// sfdiskAttrs are the GPT attribute bits sfdisk knows by name.
var sfdiskAttrs = map[int]string{0: "RequiredPartition", 1: "NoBlockIOProtocol", 2: "LegacyBIOSBootable"}

func sfdiskScript(o *sfdiskOptions, target string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "label: %s\nlabel-id: %s", o.Label, o.UUID)
	for _, p := range o.Partitions {
		var fields []string
		add := func(k, v string) {
			if v != "" && v != "0" {
				fields = append(fields, fmt.Sprintf("%s=%q", k, v))
			}
		}
		add("start", strconv.FormatInt(p.Start, 10))
		add("size", strconv.FormatInt(p.Size, 10))
		add("type", p.Type)
		add("name", p.Name)
		add("uuid", p.UUID)
		var attrs []string
		for _, bit := range p.Attrs {
			if name, ok := sfdiskAttrs[bit]; ok {
				attrs = append(attrs, name)
			} else if bit >= 48 && bit <= 63 {
				attrs = append(attrs, strconv.Itoa(bit))
			}
		}
		add("attrs", strings.Join(attrs, ","))
		if p.Bootable {
			fields = append(fields, "bootable")
		}
		b.WriteString("\n")
		if p.PartNum != 0 {
			fmt.Fprintf(&b, "%sp%d: ", target, p.PartNum)
		}
		b.WriteString(strings.Join(fields, ", "))
	}
	return b.String()
}
