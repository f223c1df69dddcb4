package stages

import "fmt"

// org.osbuild.gzip: the "file" input compressed with gzip (level 1
// unless "level", no name in the header), as filename in the tree.
func init() {
	Define(Definition[gzipOptions]{Type: "org.osbuild.gzip", Plan: planFileInput[gzipOptions], Run: runGzip})
}

type gzipOptions struct {
	Filename string `json:"filename"`
	Level    *int   `json:"level"`
}

func runGzip(rt *Runtime, o *gzipOptions) error {
	level := 1
	if o.Level != nil {
		level = *o.Level
	}
	return compressFile(rt, o.Filename, "gzip", "--no-name", "--stdout", fmt.Sprintf("-%d", level))
}
