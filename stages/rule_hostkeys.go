package stages

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// sshServers are the Debian packages whose installation generates SSH host
// keys in the tree (openssh-server's postinst; the others depend on it).
var sshServers = map[string]bool{"openssh-server": true, "ssh": true, "task-ssh-server": true}

// hostKeysRule warns, at the package, when a pipeline installs an SSH
// server and no later stage of it mentions the host keys (ssh-keygen or
// ssh_host_ in its options): every machine made from the image would
// present the keys generated while it was built. A pipeline another builds
// in is a tool, not an image, and is not checked; nor is a pipeline with a
// source-epoch, whose package stages leave no host keys (deferHostKeys).
var hostKeysRule = Rule{
	Name:        "SSHHostKeysBuiltIn",
	Description: "An SSH server's host keys made at build time are shared by every machine made from the image.",
	Check: func(m *manifest.Manifest, pl *manifest.Pipeline) []Finding {
		if st, w := hostKeyWarning(m, pl); w != nil {
			return []Finding{{Stage: st, At: w}}
		}
		return nil
	},
}

func hostKeyWarning(m *manifest.Manifest, pl *manifest.Pipeline) (*manifest.Stage, *manifest.LocationError) {
	if pl.SourceEpoch != nil {
		return nil, nil // deferHostKeys: no keys are built in
	}
	for _, other := range m.Pipelines {
		if other.Build == pl.Name {
			return nil, nil
		}
	}
	for i, st := range pl.Stages {
		key := packageListKey(st.Type)
		if key == "" {
			continue
		}
		pkgs, _ := st.Options[key].([]any)
		for j, p := range pkgs {
			name, _ := p.(string)
			if !sshServers[packageName(name)] {
				continue
			}
			if handlesHostKeys(pl.Stages[i+1:]) {
				return nil, nil
			}
			return st, &manifest.LocationError{Path: st.OptionsPath().Key(key).Index(j),
				Err: fmt.Errorf("%s generates SSH host keys while the image is built, so every machine made from it would present the same keys: regenerate them at first boot (org.osbuild.first-boot running ssh-keygen, as the README's security model shows)", name)}
		}
	}
	return nil, nil
}

// packageListKey is the option listing the packages a stage installs.
func packageListKey(stageType string) string {
	switch stageType {
	case "org.osbuild.apt":
		return "packages"
	case "org.osbuild.debootstrap", "org.osbuild.debian.debootstrap":
		return "include"
	}
	return ""
}

func handlesHostKeys(later []*manifest.Stage) bool {
	for _, st := range later {
		raw, err := json.Marshal(st.Options)
		if err != nil {
			continue
		}
		if s := string(raw); strings.Contains(s, "ssh-keygen") || strings.Contains(s, "ssh_host_") {
			return true
		}
	}
	return false
}
