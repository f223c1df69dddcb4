package stages

import "strings"

// org.osbuild.tmpfilesd: a tmpfiles.d(5) file in /usr/lib/tmpfiles.d. File
// operations only.
func init() {
	Define(Definition[tmpfilesdOptions]{Type: "org.osbuild.tmpfilesd", Plan: planTmpfilesd})
}

type tmpfilesdOptions struct {
	Filename string `json:"filename"`
	Config   []struct {
		Type     string `json:"type"`
		Path     string `json:"path"`
		Mode     string `json:"mode"`
		User     string `json:"user"`
		Group    string `json:"group"`
		Age      string `json:"age"`
		Argument string `json:"argument"`
	} `json:"config"`
}

func planTmpfilesd(_ *Context, o *tmpfilesdOptions) (*Plan, error) {
	var b strings.Builder
	for _, e := range o.Config {
		fields := []string{e.Type, e.Path, dash(e.Mode), dash(e.User), dash(e.Group), dash(e.Age)}
		if e.Argument != "" {
			fields = append(fields, e.Argument)
		}
		b.WriteString(strings.Join(fields, " ") + "\n")
	}
	return &Plan{Files: WriteFile("/usr/lib/tmpfiles.d/"+o.Filename, 0o644, []byte(b.String()))}, nil
}

// dash is tmpfiles.d's "-" for a field left out.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
