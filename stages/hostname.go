package stages

import (
	"fmt"
	"strings"
)

// org.osbuild.hostname: /etc/hostname, and /etc/hosts with the
// name on 127.0.1.1 as Debian's installer writes it (the rest of /etc/hosts
// is Debian's default). File operations only.
func init() {
	Define(Definition[hostnameOptions]{Type: "org.osbuild.hostname", Plan: planHostname})
}

type hostnameOptions struct {
	Hostname string `json:"hostname"`
}

func planHostname(_ *Context, o *hostnameOptions) (*Plan, error) {
	short, _, _ := strings.Cut(o.Hostname, ".")
	alias := o.Hostname
	if short != o.Hostname {
		alias = o.Hostname + "\t" + short
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n", alias)
	files := WriteFile("/etc/hostname", 0o644, []byte(o.Hostname+"\n"))
	files = append(files, WriteFile("/etc/hosts", 0o644, []byte(hosts))...)
	return &Plan{Files: files}, nil
}
