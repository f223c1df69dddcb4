package stages

import (
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Configuration stages that write one drop-in file, as file operations:
// org.osbuild.sshd.config, tmpfilesd, sysctld, modprobe and
// kernel-cmdline. Each is a confStage with its own rendering.
type confStage struct {
	name   string
	render func(st *manifest.Stage) (path string, data []byte, err error)
}

var _ Stage = confStage{}

func init() {
	for _, s := range []confStage{
		{"org.osbuild.sshd.config", renderSSHD},
		{"org.osbuild.tmpfilesd", renderTmpfiles},
		{"org.osbuild.sysctld", renderSysctl},
		{"org.osbuild.modprobe", renderModprobe},
		{"org.osbuild.kernel-cmdline", renderKernelCmdline},
	} {
		Register(manifest.KindStage, s)
	}
}

func (c confStage) Type() string { return c.name }

func (c confStage) Plan(st *manifest.Stage) (*Plan, error) {
	path, data, err := c.render(st)
	if err != nil {
		return nil, err
	}
	return &Plan{Files: WriteFile(path, 0o644, data)}, nil
}

// renderSSHD writes a drop-in that Debian's sshd_config includes first, so
// its settings win (sshd keeps the first value it reads).
func renderSSHD(st *manifest.Stage) (string, []byte, error) {
	var o struct {
		Config map[string]any `json:"config"`
	}
	if err := decode(st, &o); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for _, k := range sortedNames(o.Config) {
		v := o.Config[k]
		switch x := v.(type) {
		case bool:
			v = map[bool]string{true: "yes", false: "no"}[x]
		case float64:
			v = int64(x)
		}
		fmt.Fprintf(&b, "%s %v\n", k, v)
	}
	return "/etc/ssh/sshd_config.d/50-osbuildkit.conf", []byte(b.String()), nil
}

func renderTmpfiles(st *manifest.Stage) (string, []byte, error) {
	var o struct {
		Filename string `json:"filename"`
		Config   []struct {
			Type, Path, Mode, User, Group, Age, Argument string
		} `json:"config"`
	}
	if err := decode(st, &o); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for _, e := range o.Config {
		fields := []string{e.Type, e.Path, dash(e.Mode), dash(e.User), dash(e.Group), dash(e.Age)}
		if e.Argument != "" {
			fields = append(fields, e.Argument)
		}
		b.WriteString(strings.Join(fields, " ") + "\n")
	}
	return "/usr/lib/tmpfiles.d/" + o.Filename, []byte(b.String()), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func renderSysctl(st *manifest.Stage) (string, []byte, error) {
	var o struct {
		Filename string `json:"filename"`
		Config   []struct {
			Key   string  `json:"key"`
			Value *string `json:"value"`
		} `json:"config"`
	}
	if err := decode(st, &o); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for i, e := range o.Config {
		switch {
		case strings.HasPrefix(e.Key, "-"):
			b.WriteString(e.Key + "\n")
		case e.Value == nil:
			return "", nil, optionError(st, manifest.Path{"config", i}, "key %q needs a value (or a leading '-' to exclude it)", e.Key)
		default:
			fmt.Fprintf(&b, "%s = %s\n", e.Key, *e.Value)
		}
	}
	return "/usr/lib/sysctl.d/" + o.Filename, []byte(b.String()), nil
}

func renderModprobe(st *manifest.Stage) (string, []byte, error) {
	var o struct {
		Filename string `json:"filename"`
		Commands []struct {
			Command    string `json:"command"`
			ModuleName string `json:"modulename"`
			Cmdline    string `json:"cmdline"`
			Options    string `json:"options"`
		} `json:"commands"`
	}
	if err := decode(st, &o); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for _, c := range o.Commands {
		line := c.Command + " " + c.ModuleName
		switch c.Command {
		case "install":
			line += " " + c.Cmdline
		case "options":
			line += " " + c.Options
		}
		b.WriteString(line + "\n")
	}
	return "/usr/lib/modprobe.d/" + o.Filename, []byte(b.String()), nil
}

// KernelCmdlineFile is where org.osbuild.kernel-cmdline records the kernel
// command line; org.osbuild.grub2 reads it.
const KernelCmdlineFile = "/etc/kernel/cmdline"

func renderKernelCmdline(st *manifest.Stage) (string, []byte, error) {
	var o struct {
		RootFSUUID string `json:"root_fs_uuid"`
		KernelOpts string `json:"kernel_opts"`
	}
	if err := decode(st, &o); err != nil {
		return "", nil, err
	}
	var parts []string
	if o.RootFSUUID != "" {
		parts = append(parts, "root=UUID="+o.RootFSUUID)
	}
	if o.KernelOpts != "" {
		parts = append(parts, o.KernelOpts)
	}
	return KernelCmdlineFile, []byte(strings.Join(parts, " ") + "\n"), nil
}
