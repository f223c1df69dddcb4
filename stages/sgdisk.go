package stages

import (
	"fmt"
	"slices"
	"strconv"
)

// org.osbuild.sgdisk: a GPT partition table written with sgdisk, as
// osbuild writes it: partitions in their "partnum" slot (else in order),
// start and size in sectors, and names quoted in the table unless
// "quote_partition_name" is false (osbuild's default, kept for
// compatibility, stores the quotes). "bootable" sets attribute bit 2. As
// with sfdisk, "filename" (osbuildkit) partitions a file in the tree
// without privileges.
func init() {
	Define(Definition[sgdiskOptions]{Type: "org.osbuild.sgdisk", Plan: func(c *Context, o *sgdiskOptions) (*Plan, error) { return planPartitionTable(c, o.Filename) }, Run: runSgdisk})
}

type sgdiskOptions struct {
	UUID               string           `json:"uuid"`
	Label              string           `json:"label"`
	Filename           string           `json:"filename"`
	QuotePartitionName *bool            `json:"quote_partition_name"`
	Partitions         []tablePartition `json:"partitions"`
}

func runSgdisk(rt *Runtime, o *sgdiskOptions) error {
	target, detach, err := partitionTarget(rt, o.Filename)
	if err != nil {
		return err
	}
	defer detach()
	return rt.Run("sgdisk", sgdiskArgs(o, target)...)
}

func sgdiskArgs(o *sgdiskOptions, target string) []string {
	args := []string{"-Z", target, "-g"}
	if o.UUID != "" {
		args = append(args, "-U", o.UUID)
	}
	quote := o.QuotePartitionName == nil || *o.QuotePartitionName
	for i, p := range o.Partitions {
		n := p.PartNum
		if n == 0 {
			n = i + 1
		}
		size := "0"
		if p.Size != 0 {
			size = "+" + strconv.FormatInt(p.Size, 10)
		}
		args = append(args, "-n", fmt.Sprintf("%d:%d:%s", n, p.Start, size))
		if p.Name != "" {
			name := p.Name
			if quote {
				name = `"` + name + `"`
			}
			args = append(args, "-c", fmt.Sprintf("%d:%s", n, name))
		}
		if p.UUID != "" {
			args = append(args, "-u", fmt.Sprintf("%d:%s", n, p.UUID))
		}
		if p.Type != "" {
			args = append(args, "-t", fmt.Sprintf("%d:%s", n, p.Type))
		}
		attrs := slices.Clone(p.Attrs)
		if p.Bootable && !slices.Contains(attrs, 2) {
			attrs = append(attrs, 2)
		}
		slices.Sort(attrs)
		for _, a := range slices.Compact(attrs) {
			args = append(args, "-A", fmt.Sprintf("%d:set:%d", n, a))
		}
	}
	return args
}
