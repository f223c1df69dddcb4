package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/osbuildkit/osbuildkit/localbuild"
)

func init() {
	register(command{name: "buildroot", summary: "build the host buildroot and push it as two images (REF-bootstrap and REF); print them pinned, as --buildroot takes them", args: "REF", run: runBuildroot})
}

func runBuildroot(e *env, args []string) int {
	fs := newFlags(e, "buildroot", "REF")
	var addr, progress string
	fs.StringVar(&addr, "addr", "", "BuildKit daemon `address` (as for build)")
	fs.StringVar(&progress, "progress", "auto", "progress `mode`: auto, tty, plain, quiet or rawjson")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("buildroot takes one image REF to push to, e.g. localhost:5000/osbuildkit/buildroot:latest"))
	}
	if _, _, err := localbuild.BuildrootRefs(pos[0]); err != nil {
		return usageError(e, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := &printer{e: e, f: &buildFlags{progress: progress}}
	pinned, err := localbuild.PublishBuildroot(ctx, pos[0], localbuild.Options{Addr: addr, Progress: p.progress})
	if err != nil {
		return p.fail(err)
	}
	fmt.Fprintln(e.stdout, pinned)
	return exitOK
}
