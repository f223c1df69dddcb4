package stages

import (
	"os"
	"strings"
)

// org.osbuild.locale: the system locale in /etc/default/locale
// (Debian's place; systemd reads it there). When the tree has the locales
// package, the locale is enabled in /etc/locale.gen and generated.
func init() {
	Define(Definition[localeOptions]{Type: "org.osbuild.locale", Plan: planInTree[localeOptions], Run: runLocale})
}

type localeOptions struct {
	Language string `json:"language"`
}

func runLocale(rt *Runtime, o *localeOptions) error {
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
