package stages

// org.osbuild.timezone: /etc/localtime links to the zone in
// /usr/share/zoneinfo (tzdata) and /etc/timezone names it. File
// operations only.
func init() {
	Define(Definition[timezoneOptions]{Type: "org.osbuild.timezone", Plan: planTimezone})
}

type timezoneOptions struct {
	Zone string `json:"zone"`
}

func planTimezone(_ *Context, o *timezoneOptions) (*Plan, error) {
	files := WriteSymlink("/etc/localtime", "/usr/share/zoneinfo/"+o.Zone)
	files = append(files, WriteFile("/etc/timezone", 0o644, []byte(o.Zone+"\n"))...)
	return &Plan{Files: files}, nil
}
