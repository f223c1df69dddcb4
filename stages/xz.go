package stages

// org.osbuild.xz: the "file" input compressed with xz -0 on every core, as
// filename in the tree.
func init() {
	Define(Definition[xzOptions]{Type: "org.osbuild.xz", Plan: planFileInput[xzOptions], Run: runXz})
}

type xzOptions struct {
	Filename string `json:"filename"`
}

func runXz(rt *Runtime, o *xzOptions) error {
	return compressFile(rt, o.Filename, "xz", "--keep", "--stdout", "-0", "-T0")
}
