package stages

import "os"

// org.osbuild.ostree.init: create an OSTree repository in the
// tree at "path" (default /repo) in "mode" (default archive).
func init() {
	Define(Definition[ostreeInitOptions]{Type: "org.osbuild.ostree.init", Run: runOstreeInit})
}

type ostreeInitOptions struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
}

func runOstreeInit(rt *Runtime, o *ostreeInitOptions) error {
	if o.Path == "" {
		o.Path = "/repo"
	}
	if o.Mode == "" {
		o.Mode = "archive"
	}
	repo, err := rt.Path(o.Path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	return rt.Run("ostree", "--repo="+repo, "init", "--mode="+o.Mode)
}
