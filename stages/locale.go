package stages

import (
	"os"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// locale is org.osbuild.locale: the system locale in /etc/default/locale
// (Debian's place; systemd reads it there). When the tree has the locales
// package, the locale is enabled in /etc/locale.gen and generated.
type locale struct{}

var _ Runner = locale{}

func init() { Register(manifest.KindStage, locale{}) }

func (locale) Type() string { return "org.osbuild.locale" }

type localeOptions struct {
	Language string `json:"language"`
}

func (locale) Plan(st *manifest.Stage) (*Plan, error) {
	var o localeOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	return &Plan{Exec: &Exec{Root: RootTree}}, nil
}

func (locale) Run(rt *Runtime) error {
	var o localeOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	if err := rt.WriteFile("/etc/default/locale", []byte("LANG="+o.Language+"\n"), 0o644); err != nil {
		return err
	}
	gen, err := rt.Path("/etc/locale.gen")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(gen)
	if os.IsNotExist(err) {
		rt.Logf("the locales package is not installed: not generating %s", o.Language)
		return nil
	}
	if err != nil {
		return err
	}
	updated, ok := enableLocale(string(data), o.Language)
	if !ok {
		rt.Logf("%s is not in /etc/locale.gen: not generating it", o.Language)
		return nil
	}
	if err := rt.WriteFile("/etc/locale.gen", []byte(updated), 0o644); err != nil {
		return err
	}
	return rt.Run("locale-gen")
}

// enableLocale uncomments the locale.gen lines for lang ("en_US.UTF-8"
// matches "# en_US.UTF-8 UTF-8"); false when there is none.
func enableLocale(gen, lang string) (string, bool) {
	lines := strings.Split(gen, "\n")
	found := false
	for i, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		fields := strings.Fields(t)
		if len(fields) == 2 && fields[0] == lang {
			lines[i] = t
			found = true
		}
	}
	return strings.Join(lines, "\n"), found
}
