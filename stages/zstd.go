package stages

// org.osbuild.zstd: the "file" input compressed with zstd -1 on every
// core, as filename in the tree.
func init() {
	Define(Definition[zstdOptions]{Type: "org.osbuild.zstd", Plan: planFileInput[zstdOptions], Run: runZstd})
}

type zstdOptions struct {
	Filename string `json:"filename"`
}

func runZstd(rt *Runtime, o *zstdOptions) error {
	return compressFile(rt, o.Filename, "zstd", "--keep", "--stdout", "-T0", "-1")
}
