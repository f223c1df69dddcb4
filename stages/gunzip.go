package stages

// org.osbuild.gunzip: the gzip "file" input decompressed to "path" in the
// tree.
func init() {
	Define(Definition[gunzipOptions]{Type: "org.osbuild.gunzip", Plan: planFileInput[gunzipOptions], Run: runGunzip})
}

type gunzipOptions struct {
	Path string `json:"path"`
}

func runGunzip(rt *Runtime, o *gunzipOptions) error {
	return compressFile(rt, o.Path, "gunzip", "--stdout")
}
